// The choice of a channel, read from the server (`channels`); with `all`, a
// first choice "All channels" (value ""). While the list is unread, or when it
// cannot be read, the current choice is the only channel offered.
import { useEffect, useState } from 'preact/hooks';
import type { StaffApi } from '../lib/staffOps';
import { useId } from '../ui/common';

export function ChannelSelect(props: { api: StaffApi; value: string; onChange: (channel: string) => void; all?: boolean }) {
  const [channels, setChannels] = useState<string[]>([]);
  const id = useId('channel');
  useEffect(() => {
    props.api
      .channels()
      .then((cs) => setChannels(cs.map((c) => c.name)))
      .catch(() => undefined);
  }, [props.api]);
  const shown = props.value && !channels.includes(props.value) ? [props.value, ...channels] : channels;
  return (
    <div class="field">
      <label for={id}>Channel</label>
      <select id={id} value={props.value} onChange={(e) => props.onChange((e.currentTarget as HTMLSelectElement).value)}>
        {props.all && <option value="">All channels</option>}
        {shown.map((c) => (
          <option key={c} value={c}>
            #{c}
          </option>
        ))}
      </select>
    </div>
  );
}

// Pushes from the forum connection, fanned out to whichever views are mounted.
type Listener = (event: string, data: any) => void;

export class Bus {
  private ls = new Set<Listener>();
  on(l: Listener): () => void {
    this.ls.add(l);
    return () => this.ls.delete(l);
  }
  emit(event: string, data: any) {
    for (const l of this.ls) l(event, data);
  }
}

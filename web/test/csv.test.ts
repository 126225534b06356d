import { describe, expect, it } from 'vitest';
import { parseCsv, rosterFromCsv, toCsv } from '../src/lib/csv';

describe('roster CSV', () => {
  it('parses quoted cells, CRLF and a BOM', () => {
    expect(parseCsv('\ufeffa,"b,c"\r\n"say ""hi""",d\n')).toEqual([
      ['a', 'b,c'],
      ['say "hi"', 'd'],
    ]);
  });

  it('takes the first column, skips a header and blank lines, reports duplicates and invalid ids', () => {
    const r = rosterFromCsv('employee_id,name\nE1,Ann\n\nE2,Bob\nE1,Ann again\n"",x\n');
    expect(r.ids).toEqual(['E1', 'E2']);
    expect(r.duplicates).toEqual(['E1']);
    expect(r.invalid).toEqual(['']);
  });

  it('accepts a bare list without header', () => {
    expect(rosterFromCsv('alice\nbob\r\ncarol').ids).toEqual(['alice', 'bob', 'carol']);
  });

  it('writes codes CSV with quoting and formula neutralised', () => {
    expect(toCsv([['employee_id', 'code'], ['a,b', 'X"Y'], ['=1+1', 'c']])).toBe(
      'employee_id,code\r\n"a,b","X""Y"\r\n\'=1+1,c\r\n',
    );
  });
});

import { describe, expect, it } from 'vitest';
import { parseLabelledCsv, selectRows } from '../src/labelled-data.js';

describe('labelled rows', () => {
  it('reads values then the label per line, skipping blank and # lines', () => {
    const data = parseLabelledCsv('# x,y,label\n1,2,0\n\n3.5,4,1\n', 2, 2, 'd.csv');
    expect(Array.from(data.values)).toEqual([1, 2, 3.5, 4]);
    expect(data.labels).toEqual([0, 1]);
    expect(Array.from(selectRows(data, [1], 'rows.json').values)).toEqual([3.5, 4]);
  });

  it('names the line and what is wrong with it', () => {
    expect(() => parseLabelledCsv('1,2,0\n1,2\n', 2, 2, 'd.csv')).toThrow('d.csv:2: expected 2 values and a label, got 2 fields');
    expect(() => parseLabelledCsv('1,x,0\n', 2, 2, 'd.csv')).toThrow('d.csv:1: field 2 is not a number');
    expect(() => parseLabelledCsv('1,2,7\n', 2, 2, 'd.csv')).toThrow('d.csv:1: the label 7 is not a class index from 0 to 1');
    expect(() => parseLabelledCsv('\n', 2, 2, 'd.csv')).toThrow('d.csv: no rows');
    expect(() => selectRows(parseLabelledCsv('1,2,0\n', 2, 2, 'd.csv'), [3], 'rows.json')).toThrow(
      'rows.json: row 3 is not a row of the data (0 to 0)',
    );
  });
});

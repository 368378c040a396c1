import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { figure, formatTable, writeResults } from '../../bench/report.ts';

describe('bench report', () => {
  it('judges a figure against its target', () => {
    expect(figure({ id: 'a', label: 'A', value: 149, unit: 'ms', target: { op: '<=', value: 150 } }).pass).to.equal(true);
    expect(figure({ id: 'a', label: 'A', value: 151, unit: 'ms', target: { op: '<=', value: 150 } }).pass).to.equal(false);
    expect(figure({ id: 'r', label: 'R', value: 48, unit: 'rooms', target: { op: '>=', value: 48 } }).pass).to.equal(true);
    expect(figure({ id: 'g', label: 'G', value: 1, unit: 'gaps', target: { op: '==', value: 0 } }).pass).to.equal(false);
  });

  it('fails a figure that could not be measured and leaves a target-less one unjudged', () => {
    expect(figure({ id: 'a', label: 'A', value: null, unit: 'ms', target: { op: '<=', value: 5 } }).pass).to.equal(false);
    expect(figure({ id: 'b', label: 'B', value: 3, unit: 'ms' }).pass).to.equal(null);
  });

  it('prints one row per figure with value, target and result, then the notes', () => {
    const table = formatTable([
      figure({ id: 'a', label: 'TTFA p95', value: 42.5, unit: 'ms', target: { op: '<=', value: 150 }, samples: 30, note: 'why' }),
      figure({ id: 'b', label: 'Rooms', value: 256, unit: 'rooms', qualifier: '≥', target: { op: '>=', value: 48 } }),
    ]);
    expect(table).to.match(/TTFA p95\s+42\.50 ms\s+≤ 150 ms\s+PASS\s+30/);
    expect(table).to.match(/Rooms\s+≥256 rooms\s+≥ 48 rooms\s+PASS/);
    expect(table).to.contain('TTFA p95: why');
  });

  it('writes the dated JSON file and latest.json with the same content', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
    try {
      const file = writeResults(dir, { startedAt: '2025-01-02T03:04:05.678Z', figures: [] });
      expect(file).to.equal(join(dir, 'bench-2025-01-02T03-04-05-678Z.json'));
      expect(JSON.parse(readFileSync(file, 'utf8'))).to.deep.equal({ startedAt: '2025-01-02T03:04:05.678Z', figures: [] });
      expect(readFileSync(join(dir, 'latest.json'), 'utf8')).to.equal(readFileSync(file, 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes a soak run under its own name, leaving the bench run\'s latest.json alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vrpg-report-'));
    try {
      const file = writeResults(dir, { startedAt: '2025-01-02T03:04:05.678Z', figures: [] }, 'soak');
      expect(file).to.equal(join(dir, 'soak-2025-01-02T03-04-05-678Z.json'));
      expect(readFileSync(join(dir, 'soak-latest.json'), 'utf8')).to.equal(readFileSync(file, 'utf8'));
      expect(existsSync(join(dir, 'latest.json'))).to.equal(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

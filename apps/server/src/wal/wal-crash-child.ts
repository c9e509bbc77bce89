// Child process for the crash test: appends batches forever, printing "acked N" after each fsync.
// The parent SIGKILLs it at a random moment and checks every acknowledged entry survived.
import { testCodec } from './test-codec.js';
import { Wal } from './wal.js';

async function main(): Promise<void> {
  const dir = process.argv[2]!;
  const segmentBytes = Number(process.argv[3] ?? 4096);
  let wal: Wal<any, any>;
  let last = 0;
  if (Wal.exists(dir)) {
    const r = await Wal.open(dir, { index: 0, term: 0 }, testCodec, { segmentBytes });
    wal = r.wal;
    last = r.entries.length ? r.entries[r.entries.length - 1]!.index : 0;
  } else {
    wal = await Wal.create(dir, Buffer.from('meta'), testCodec, { segmentBytes });
  }
  process.stdout.write('ready\n');
  for (let batch = 0; batch < 100000; batch++) {
    const n = 1 + (batch % 7);
    const entries = [];
    for (let i = 0; i < n; i++) {
      last += 1;
      entries.push({ index: last, term: 1, data: `v${last}-${'x'.repeat(last % 50)}` });
    }
    await wal.save({ term: 1, vote: 1, commit: last }, entries);
    process.stdout.write(`acked ${last}\n`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

// Entry point of the bundled CLI (dist/etcdctl.bundle.js, run by dist/launch.js).
import { runCli } from './main';

runCli(process.argv.slice(2));

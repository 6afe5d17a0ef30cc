// Entry point for the CLI tests: the same `main` as bin/snowline.js, run from the sources by tsx.
import { main } from '../../src/cli/main';

main(process.argv);

import { main } from '../../src/cli/main';

// The `snowline` command from the TypeScript sources, for tests that run it as a user would.
main(process.argv);

// Runs the CLI from the sources (tsx): `npm run dev` and the tests that start real processes.
// bin/snowline.js does the same with the compiled code.
import { main } from './main';

main(process.argv);

import { fileURLToPath } from 'node:url';

/** The repository's example ensembles folder (the CLI runs from its sources in the workspace). */
export const ENSEMBLES_DIR = fileURLToPath(new URL('../../../ensembles/', import.meta.url));

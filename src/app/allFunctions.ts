import type { FunctionDefinition } from './functionDefinition.js';
import { githubPush } from '../functions/githubPush.js';

/** Every function of the app, for hosts other than Azure's (the local host, tests). */
export const allFunctions: readonly FunctionDefinition[] = [githubPush];

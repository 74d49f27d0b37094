import { Router } from '../router.js';
import { registerBuildRoutes } from './builds.js';
import type { ApiDeps } from './common.js';
import { registerCoreRoutes } from './core.js';
import { registerPipelineRoutes } from './pipelines.js';
import { registerReleaseRoutes } from './releases.js';
import { registerSubscriptionRoutes } from './subscriptions.js';

export type { ApiDeps } from './common.js';
export { completeBuild, buildShape } from './builds.js';
export { runShape } from './pipelines.js';
export { completeDeployments, releaseShape } from './releases.js';

export function createAdoRouter(deps: ApiDeps): Router {
  const router = new Router();
  registerCoreRoutes(router, deps);
  registerSubscriptionRoutes(router, deps);
  registerPipelineRoutes(router, deps);
  registerBuildRoutes(router, deps);
  registerReleaseRoutes(router, deps);
  return router;
}

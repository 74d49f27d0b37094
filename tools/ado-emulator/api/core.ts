/** Location discovery: OPTIONS, resource areas and connectionData. */
import { Errors } from '../errors.js';
import { locationsFor, resourceAreas, type HostKind } from '../locations.js';
import type { Router } from '../router.js';
import * as shapes from '../shapes.js';
import { collection, ok, orgOf, param, type ApiDeps } from './common.js';

export function registerCoreRoutes(router: Router, deps: ApiDeps): void {
  for (const host of ['org', 'vsrm'] satisfies HostKind[]) {
    router.add(host, 'OPTIONS', ':org/_apis', () => collection(locationsFor(host, undefined)), {
      discovery: true,
    });
    router.add(
      host,
      'OPTIONS',
      ':org/_apis/:area',
      (_req, params) => collection(locationsFor(host, params.area)),
      {
        discovery: true,
      },
    );
  }

  const areas = (org: string): shapes.Shape[] => {
    const o = deps.store.org(org);
    return resourceAreas(`${shapes.orgUrl(deps.urls, o)}/`, `${shapes.vsrmUrl(deps.urls, o)}/`).map((a) => ({
      ...a,
    }));
  };
  router.add(
    'org',
    'GET',
    ':org/_apis/ResourceAreas',
    (_req, params) => collection(areas(param(params, 'org'))),
    {
      discovery: true,
    },
  );
  router.add(
    'org',
    'GET',
    ':org/_apis/ResourceAreas/:areaId',
    (_req, params) => {
      const id = param(params, 'areaId').toLowerCase();
      const area = areas(param(params, 'org')).find((a) => a.id === id);
      if (!area) throw Errors.routeNotFound(`_apis/ResourceAreas/${id}`);
      return ok(area);
    },
    { discovery: true },
  );
  router.add(
    'org',
    'GET',
    ':org/_apis/connectionData',
    (_req, params) => ok(shapes.connectionData(deps.urls, orgOf(deps, params))),
    { discovery: true },
  );
}

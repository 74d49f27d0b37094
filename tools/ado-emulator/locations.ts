/**
 * Location discovery. The client (VsoClient.beginGetAreaLocations) sends `OPTIONS {base}/_apis/{area}`
 * and looks the location id up in `{count, value: ApiResourceLocation[]}`, then fills `routeTemplate`
 * and negotiates the api-version against resourceVersion/maxVersion/releasedVersion. WebApi resolves
 * each API's base URL through `GET {org}/_apis/ResourceAreas` (location e81700f7 in area "Location");
 * the Release API gets a vsrm-style base (`{url}/vsrm/{org}/`), like `https://vsrm.dev.azure.com/{org}/`.
 *
 * Only locations the emulator serves are listed, each with the resourceVersion the 17.x client asks
 * for, so negotiation keeps the client's requested version (e.g. `7.2-preview.7` for builds).
 */

export interface ApiResourceLocation {
  id: string;
  area: string;
  resourceName: string;
  routeTemplate: string;
  resourceVersion: number;
  minVersion: string;
  maxVersion: string;
  releasedVersion: string;
}

/** Latest api-version the emulator knows; versions above RELEASED need `-preview`. */
export const MAX_API_VERSION = 7.2;
export const RELEASED_API_VERSION = 7.1;

function loc(
  id: string,
  area: string,
  resourceName: string,
  routeTemplate: string,
  resourceVersion: number,
): ApiResourceLocation {
  return {
    id,
    area,
    resourceName,
    routeTemplate,
    resourceVersion,
    minVersion: '1.0',
    maxVersion: MAX_API_VERSION.toFixed(1),
    releasedVersion: RELEASED_API_VERSION.toFixed(1),
  };
}

export const LOCATION_IDS = {
  resourceAreas: 'e81700f7-3be2-46de-8624-2eb35882fcaa',
  connectionData: '00d9565f-ed9c-4a06-9a50-00e7896ccab4',
  pipelines: '28e1305e-2afe-47bf-abaf-cbb0e6a91988',
  runs: '7859261e-d2e9-4a68-b820-a5d84cc5bb3d',
  builds: '0cd358e1-9217-4d94-8269-1c1ee6f93dcf',
  hookSubscriptions: 'fc50d02a-849f-41fb-8af1-0a5216103269',
  releases: 'a166fde7-27ad-408e-ba75-703c2cc9d500',
  releaseDefinitions: 'd8f96f24-8ea7-4cb6-baab-2df8fc515665',
} as const;

const ORG_LOCATIONS: readonly ApiResourceLocation[] = [
  loc(LOCATION_IDS.resourceAreas, 'Location', 'ResourceAreas', '_apis/{resource}/{areaId}', 1),
  loc(LOCATION_IDS.connectionData, 'Location', 'ConnectionData', '_apis/{resource}', 1),
  loc(LOCATION_IDS.pipelines, 'pipelines', 'pipelines', '{project}/_apis/{resource}/{pipelineId}', 1),
  loc(LOCATION_IDS.runs, 'pipelines', 'runs', '{project}/_apis/pipelines/{pipelineId}/{resource}/{runId}', 1),
  loc(LOCATION_IDS.builds, 'build', 'Builds', '{project}/_apis/build/{resource}/{buildId}', 8),
  loc(
    LOCATION_IDS.hookSubscriptions,
    'hooks',
    'Subscriptions',
    '_apis/{area}/{resource}/{subscriptionId}',
    1,
  ),
];

const VSRM_LOCATIONS: readonly ApiResourceLocation[] = [
  loc(LOCATION_IDS.releases, 'Release', 'releases', '{project}/_apis/{area}/{resource}/{releaseId}', 9),
  loc(
    LOCATION_IDS.releaseDefinitions,
    'Release',
    'definitions',
    '{project}/_apis/{area}/{resource}/{definitionId}',
    4,
  ),
];

export type HostKind = 'org' | 'vsrm';

export function locationsFor(host: HostKind, area: string | undefined): ApiResourceLocation[] {
  const all = host === 'vsrm' ? VSRM_LOCATIONS : ORG_LOCATIONS;
  if (area === undefined) return [...all];
  const lower = area.toLowerCase();
  return all.filter((l) => l.area.toLowerCase() === lower);
}

export const RELEASE_RESOURCE_AREA_ID = 'efc2f575-36ef-48e9-b672-0c6fb4a48ac5';

/**
 * Every resource area id that WebApi 17.x resolves in its get*Api() factories. Note that
 * getPipelinesApi() (and getCixApi) look up 5264459e…, which is really the work item tracking area.
 */
const RESOURCE_AREAS: readonly { id: string; name: string; vsrm?: true }[] = [
  { id: '0f2ca920-f269-4545-b1f4-5b4173aa784e', name: 'alert' },
  { id: '965220d5-5bb9-42cf-8d67-9b146df2a5a4', name: 'build' },
  { id: '79134c72-4a58-4b42-976c-04e7115f32bf', name: 'core' },
  { id: '31c84e0a-3ece-48fd-a29d-100849af99ba', name: 'Dashboard' },
  { id: '6c2b0933-3600-42ae-bf8b-93d4f7e83594', name: 'ExtensionManagement' },
  { id: '69d21c00-f135-441b-b5ce-3626378e0819', name: 'gallery' },
  { id: '4e080c62-fa21-4fbc-8fef-2a10a2b38049', name: 'git' },
  { id: 'f101720c-9790-45a6-9fb3-494a09fddeeb', name: 'Management' },
  { id: 'fb13a388-40dd-4a04-b530-013a739c72ef', name: 'policy' },
  { id: '8ccfef3d-2b87-4e99-8ccb-66e343d2daa8', name: 'Profile' },
  { id: '7658fa33-b1bf-4580-990f-fac5896773d3', name: 'projectanalysis' },
  { id: '1814ab31-2f4f-4a9f-8761-f4d77dc5a5d7', name: 'serviceendpoint' },
  { id: RELEASE_RESOURCE_AREA_ID, name: 'Release', vsrm: true },
  { id: 'a85b8835-c1a1-4aac-ae97-1c3d0ba72dbd', name: 'distributedtask' },
  { id: 'c2aa639c-3ccc-4740-b3b6-ce2a1e1d984e', name: 'Test' },
  { id: 'e4c27205-9d23-4c98-b958-d798bc3f9cd4', name: 'testplan' },
  { id: 'c83eaf52-edf3-4034-ae11-17d38f25404c', name: 'testresults' },
  { id: '8aa40520-446d-40e6-89f6-9c9f9ce44c48', name: 'tfvc' },
  { id: 'bf7d82a0-8aa5-4613-94ef-6172a5ea01f3', name: 'wiki' },
  { id: '1d4f49f9-02b9-4e26-b826-2cdb6195f2a9', name: 'work' },
  { id: '5264459e-e5e0-4bd8-b118-0985e68a4ec5', name: 'wit' },
];

export interface ResourceArea {
  id: string;
  name: string;
  locationUrl: string;
}

/** `orgUrl` and `vsrmUrl` end with '/' like the real service's locationUrl. */
export function resourceAreas(orgUrl: string, vsrmUrl: string): ResourceArea[] {
  return RESOURCE_AREAS.map((a) => ({ id: a.id, name: a.name, locationUrl: a.vsrm ? vsrmUrl : orgUrl }));
}

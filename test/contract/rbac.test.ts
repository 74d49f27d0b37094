/**
 * Role assignments as Azure Resource Manager receives them (compiled ARM JSON): who gets which
 * built-in role on which scope. The person running azd writes models, not the whole storage account
 * (whose other containers hold the app's code, the ledger and the host's keys).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { armResources, BICEP_TIMEOUT_MS, compiledArm } from './arm.js';
import { at, isRecord, record, text, type Json } from './support.js';

const ROLES = {
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  storageBlobDataReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
} as const;

interface Assignment {
  readonly role: string;
  readonly principal: string;
  readonly scope: string;
}

const assignments: Assignment[] = [];
let rbacModule: Json = {};

/** The role GUID behind `[subscriptionResourceId(..., variables('roles').x)]` or a literal. */
function roleId(expression: string, variables: Json): string {
  const variable = /variables\('roles'\)\.(\w+)/.exec(expression)?.[1];
  if (variable !== undefined) return text(at(variables, ['roles', variable]), `roles.${variable}`);
  const literal = /'([0-9a-f-]{36})'/.exec(expression)?.[1];
  if (literal !== undefined) return literal;
  const named = /variables\('(\w+)'\)/.exec(expression)?.[1];
  if (named !== undefined) return text(variables[named], named);
  throw new Error(`cannot resolve role of ${expression}`);
}

beforeAll(() => {
  const main = compiledArm('infra/main.bicep');
  const modules = armResources(main).filter(
    ({ resource }) => resource.type === 'Microsoft.Resources/deployments',
  );
  const rbac = modules.find(({ resource }) => at(resource, ['name']) === 'rbac');
  if (rbac === undefined) throw new Error('no rbac module deployment');
  rbacModule = rbac.resource;
  for (const { resource } of modules) {
    const template = at(resource, ['properties', 'template']);
    if (!isRecord(template)) continue;
    const variables = isRecord(template.variables) ? template.variables : {};
    for (const { resource: candidate } of armResources(template)) {
      if (candidate.type !== 'Microsoft.Authorization/roleAssignments') continue;
      const properties = record(candidate.properties, 'properties');
      assignments.push({
        role: roleId(text(properties.roleDefinitionId, 'roleDefinitionId'), variables),
        principal: text(properties.principalId, 'principalId'),
        scope: text(candidate.scope, 'scope'),
      });
    }
  }
}, BICEP_TIMEOUT_MS);

describe('role assignments (compiled ARM)', () => {
  const deployer = "[parameters('deployerPrincipalId')]";
  const account = "[resourceId('Microsoft.Storage/storageAccounts', parameters('storageAccountName'))]";
  const container = (name: string) =>
    `[resourceId('Microsoft.Storage/storageAccounts/blobServices/containers', parameters('storageAccountName'), 'default', parameters('${name}'))]`;

  it('give the deployer Storage Blob Data Contributor on the models container only', () => {
    expect(assignments.length).toBeGreaterThanOrEqual(8);
    const deployerStorage = assignments.filter(
      (assignment) => assignment.principal === deployer && assignment.scope.includes('Microsoft.Storage'),
    );
    expect(deployerStorage).toContainEqual({
      role: ROLES.storageBlobDataContributor,
      principal: deployer,
      scope: container('modelsContainerName'),
    });
    // Nothing of the deployer's on the account itself, and no write anywhere but models.
    expect(deployerStorage.filter((assignment) => assignment.scope === account)).toEqual([]);
    for (const assignment of deployerStorage) {
      if (assignment.role !== ROLES.storageBlobDataReader) {
        expect(assignment.scope).toBe(container('modelsContainerName'));
      }
    }
  });

  it("scope the rbac module's models container to main.bicep's", () => {
    expect(at(rbacModule, ['properties', 'parameters', 'modelsContainerName', 'value'])).toBe(
      "[parameters('modelsContainerName')]",
    );
  });

  it('give the build pipeline read access on the models container only', () => {
    const pipeline = assignments.filter(
      (assignment) => assignment.principal === "[parameters('pipelinePrincipalId')]",
    );
    expect(pipeline).toEqual([
      {
        role: ROLES.storageBlobDataReader,
        principal: "[parameters('pipelinePrincipalId')]",
        scope: container('modelsContainerName'),
      },
    ]);
  });
});

/**
 * Azure DevOps error bodies: `{"$id":"1","innerException":null,"message":…,"typeName":…,"typeKey":…,
 * "errorCode":0,"eventId":3000}`. Handlers throw `AdoError`; the server turns it into that shape.
 */
import type { SpecViolation } from './spec.js';

export interface AdoErrorBody {
  $id: '1';
  innerException: null;
  message: string;
  typeName: string;
  typeKey: string;
  errorCode: 0;
  eventId: 3000;
}

export class AdoError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly typeKey: string,
    readonly typeName: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'AdoError';
  }

  body(): AdoErrorBody {
    return adoErrorBody(this.message, this.typeName, this.typeKey);
  }
}

export function adoErrorBody(message: string, typeName: string, typeKey: string): AdoErrorBody {
  return { $id: '1', innerException: null, message, typeName, typeKey, errorCode: 0, eventId: 3000 };
}

const FRAMEWORK = 'Microsoft.TeamFoundation.Framework.Server';
const BUILD = 'Microsoft.TeamFoundation.Build.WebApi';
const RM = 'Microsoft.VisualStudio.Services.ReleaseManagement.Data.Exceptions';
const HOOKS = 'Microsoft.VisualStudio.Services.ServiceHooks.WebApi';
const COMMON = 'Microsoft.VisualStudio.Services.Common';

function err(status: number, message: string, ns: string, typeKey: string, assembly: string): AdoError {
  return new AdoError(status, message, typeKey, `${ns}.${typeKey}, ${assembly}`);
}

export const Errors = {
  unauthorized(): AdoError {
    return err(
      401,
      "TF400813: The user '' is not authorized to access this resource.",
      FRAMEWORK,
      'UnauthorizedRequestException',
      FRAMEWORK,
    );
  },
  projectNotFound(project: string): AdoError {
    return err(
      404,
      `TF200016: The following project does not exist: ${project}. Verify that the name of the project is correct and that the project exists on the specified Azure DevOps Server.`,
      'Microsoft.TeamFoundation.Core.WebApi',
      'ProjectDoesNotExistWithNameException',
      'Microsoft.TeamFoundation.Core.WebApi',
    );
  },
  pipelineNotFound(id: string | number): AdoError {
    return err(
      404,
      `The requested pipeline ${id} could not be found, either it does not exist or you do not have permission to view it.`,
      BUILD,
      'DefinitionNotFoundException',
      'Microsoft.TeamFoundation.Build2.WebApi',
    );
  },
  buildNotFound(id: string | number): AdoError {
    return err(
      404,
      `The requested build ${id} could not be found.`,
      BUILD,
      'BuildNotFoundException',
      'Microsoft.TeamFoundation.Build2.WebApi',
    );
  },
  runNotFound(pipelineId: number, runId: string | number): AdoError {
    return err(
      404,
      `Run ${runId} of pipeline ${pipelineId} could not be found.`,
      'Microsoft.Azure.Pipelines.WebApi',
      'RunNotFoundException',
      'Microsoft.Azure.Pipelines.WebApi',
    );
  },
  releaseDefinitionNotFound(id: string | number): AdoError {
    return err(
      404,
      `VS402936: Release pipeline with ID ${id} does not exist. Specify a valid ID and try again.`,
      RM,
      'ReleaseDefinitionNotFoundException',
      'Microsoft.VisualStudio.Services.ReleaseManagement2.Data',
    );
  },
  releaseNotFound(id: string | number): AdoError {
    return err(
      404,
      `VS402856: Release with ID ${id} does not exist. Specify a valid ID and try again.`,
      RM,
      'ReleaseNotFoundException',
      'Microsoft.VisualStudio.Services.ReleaseManagement2.Data',
    );
  },
  invalidReleaseRequest(message: string): AdoError {
    return err(
      400,
      message,
      RM,
      'InvalidRequestException',
      'Microsoft.VisualStudio.Services.ReleaseManagement2.Data',
    );
  },
  subscriptionNotFound(id: string): AdoError {
    return err(
      404,
      `VS403137: Subscription ${id} does not exist.`,
      HOOKS,
      'SubscriptionNotFoundException',
      HOOKS,
    );
  },
  invalidSubscription(message: string): AdoError {
    return err(400, message, HOOKS, 'SubscriptionInputException', HOOKS);
  },
  pipelineValidation(message: string): AdoError {
    return err(
      400,
      message,
      'Microsoft.TeamFoundation.DistributedTask.Pipelines',
      'PipelineValidationException',
      'Microsoft.TeamFoundation.DistributedTask.WebApi',
    );
  },
  /** A body or query the published spec does not allow (see spec.ts), naming the field. */
  specViolation(v: SpecViolation): AdoError {
    return Errors.badRequest(
      v.where === 'query'
        ? `The value '${String(v.value)}' is not valid for ${v.field}.`
        : `The request body is not a valid ${v.schema}: '${v.field}' ${v.message} (got ${JSON.stringify(v.value)}).`,
    );
  },
  badRequest(message: string): AdoError {
    return err(400, message, COMMON, 'VssPropertyValidationException', COMMON);
  },
  argumentNull(parameter: string): AdoError {
    return new AdoError(
      400,
      `Value cannot be null.\r\nParameter name: ${parameter}`,
      'ArgumentNullException',
      'System.ArgumentNullException, mscorlib',
    );
  },
  invalidJson(detail: string): AdoError {
    return err(
      400,
      `TF400898: The request body could not be read as JSON: ${detail}`,
      'Microsoft.VisualStudio.Services.WebApi',
      'VssRequestContentException',
      'Microsoft.VisualStudio.Services.WebApi',
    );
  },
  invalidApiVersion(message: string, typeKey: string): AdoError {
    return err(
      400,
      message,
      'Microsoft.VisualStudio.Services.WebApi',
      typeKey,
      'Microsoft.VisualStudio.Services.WebApi',
    );
  },
  routeNotFound(path: string): AdoError {
    return err(
      404,
      `The resource at ${path} could not be found.`,
      'Microsoft.VisualStudio.Services.WebApi',
      'VssResourceNotFoundException',
      'Microsoft.VisualStudio.Services.WebApi',
    );
  },
  methodNotAllowed(method: string, path: string): AdoError {
    return err(
      405,
      `The requested resource does not support http method '${method}': ${path}`,
      'System.Web.Http',
      'HttpResponseException',
      'System.Web.Http',
    );
  },
  payloadTooLarge(): AdoError {
    return err(413, 'The request body is too large.', COMMON, 'VssServiceException', COMMON);
  },
  throttled(retryAfterSeconds: number): AdoError {
    return err(
      429,
      `TF400733: The request has been canceled: Request was blocked due to exceeding usage of resource 'ATCPU' in namespace 'User'. Retry after ${retryAfterSeconds} seconds.`,
      FRAMEWORK,
      'RequestBlockedException',
      FRAMEWORK,
    );
  },
  serverFault(status: number): AdoError {
    const text =
      status === 503
        ? 'Service Unavailable'
        : status === 502
          ? 'Bad Gateway'
          : 'TF400898: An Internal Error Occurred.';
    return err(status, text, COMMON, 'VssServiceException', COMMON);
  },
  internal(detail: string): AdoError {
    return err(500, `TF400898: An Internal Error Occurred. ${detail}`, COMMON, 'VssServiceException', COMMON);
  },
};

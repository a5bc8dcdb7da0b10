/** Errors of the service registry custom resource. */

/** Base class: anything the service registry custom resource refuses or cannot do. */
export class ServiceRegistryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ServiceRegistryError';
  }
}

/** The event is not a CloudFormation custom resource request this handler understands. */
export class ServiceRegistryEventError extends ServiceRegistryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ServiceRegistryEventError';
  }
}

/** CloudFormation's response URL refused the response: the stack operation waits until its timeout. */
export class CustomResourceResponseError extends ServiceRegistryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CustomResourceResponseError';
  }
}

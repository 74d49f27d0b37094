/** The app's containers and queues, as the operator's setup and checks see them. */
export interface StorageLayout {
  /** Where the account is (no secret): for messages. */
  readonly blobEndpoint: string;
  containerExists(name: string): Promise<boolean>;
  createContainer(name: string): Promise<'created' | 'exists'>;
  /** Whether the queue exists and about how many messages wait in it. */
  queue(name: string): Promise<{ readonly exists: boolean; readonly messages: number }>;
  createQueue(name: string): Promise<'created' | 'exists'>;
}

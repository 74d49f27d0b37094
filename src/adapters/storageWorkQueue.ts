import type { QueueServiceClient } from '@azure/storage-queue';
import type { FlowMessage } from '../core/flowMessage.js';
import { storageFailure, storageStatusOf } from './storageErrors.js';
import type { WorkQueue } from '../ports/workQueue.js';

export class StorageWorkQueue implements WorkQueue {
  constructor(
    private readonly service: QueueServiceClient,
    private readonly queueName: string,
    private readonly poisonQueueName: string,
  ) {}

  async replayPoison(limit: number): Promise<{ replayed: number; remaining: number }> {
    const poison = this.service.getQueueClient(this.poisonQueueName);
    const work = this.service.getQueueClient(this.queueName);
    try {
      if (!(await poison.exists())) return { replayed: 0, remaining: 0 };
      await work.createIfNotExists();
      let replayed = 0;
      while (replayed < limit) {
        const batch = await poison.receiveMessages({
          numberOfMessages: Math.min(32, limit - replayed),
          visibilityTimeout: 60,
        });
        if (batch.receivedMessageItems.length === 0) break;
        for (const message of batch.receivedMessageItems) {
          // Send before delete: a crash in between replays the message twice, never loses it.
          await work.sendMessage(message.messageText);
          await poison.deleteMessage(message.messageId, message.popReceipt);
          replayed++;
        }
      }
      const properties = await poison.getProperties();
      return { replayed, remaining: properties.approximateMessagesCount ?? 0 };
    } catch (error) {
      throw storageFailure('STORAGE_UNAVAILABLE', 'Replaying the poison queue failed', error);
    }
  }

  /**
   * Writes messages as the Functions host's queue output binding does: JSON, base64-encoded
   * (`extensions.queues.messageEncoding` in host.json), so the worker reads them alike.
   */
  async send(messages: readonly FlowMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const work = this.service.getQueueClient(this.queueName);
    try {
      for (const message of messages) {
        const text = Buffer.from(JSON.stringify(message), 'utf8').toString('base64');
        try {
          await work.sendMessage(text);
        } catch (error) {
          // The host creates the queue on first use; before that, so does this.
          if (storageStatusOf(error) !== 404) throw error;
          await work.createIfNotExists();
          await work.sendMessage(text);
        }
      }
    } catch (error) {
      throw storageFailure('STORAGE_UNAVAILABLE', 'Queueing work for the flow worker failed', error);
    }
  }
}

/** The time, injected so that use cases and their tests agree on it. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

// The webhook fixtures live with the tools (the sandbox sends the same deliveries).
export * from '../../tools/github/webhooks.js';

// @azure/functions is a CommonJS bundle whose exports Node's ESM loader cannot name: default-import it.
import functions from '@azure/functions';

/**
 * Imported by every function file before it registers. HTTP streaming makes request bodies
 * real streams (the host buffers them otherwise), so `readBody` refuses an oversized body
 * while reading it instead of after the host has held all of it in memory.
 */
functions.app.setup({ enableHttpStream: true });

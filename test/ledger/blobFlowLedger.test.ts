import { BlobFlowLedger } from '../../src/adapters/blobFlowLedger.js';
import { freshContainer } from '../support/storage.js';
import { ledgerContract } from './contract.js';

ledgerContract('BlobFlowLedger on Azurite', async () => new BlobFlowLedger(await freshContainer('ledger')));

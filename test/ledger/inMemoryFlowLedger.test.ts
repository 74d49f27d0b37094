import { InMemoryFlowLedger } from '../../src/adapters/inMemoryFlowLedger.js';
import { ledgerContract } from './contract.js';

ledgerContract('InMemoryFlowLedger', () => Promise.resolve(new InMemoryFlowLedger()));

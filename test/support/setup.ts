// Every test file's process: @azure/functions' test-mode notices are expected here (see the module).
import { hideTestModeNotices } from '../../tools/local-host/testModeNotices.js';

hideTestModeNotices();

// The stores this build ships, in the order the API lists them. Adding a store: its
// folder beside these, and one entry here.
import { huawei } from './huawei/index.js';
import { nowgg } from './nowgg/index.js';
import { huya } from './huya/index.js';
import type { StoreModule } from './contract.js';

export { huawei, nowgg, huya };

export const builtInStores: readonly StoreModule[] = [huawei, nowgg, huya];

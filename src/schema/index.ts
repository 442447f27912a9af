// Imports every type file so their fields register, then builds the schema.
import { lexicographicSortSchema } from 'graphql';
import { builder } from './builder.js';
import './scalars.js';
import './errors.js';
import './app.js';
import './api-key.js';
import './store-account.js';
import './product.js';
import './order.js';
import './entitlement.js';
import '../providers/huawei/graphql.js';
import '../providers/nowgg/graphql.js';
import '../providers/huya/graphql.js';
import './order-event.js';
import './order-totals.js';
import './webhook-endpoint.js';

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

export const schema = lexicographicSortSchema(builder.toSchema());

// Huawei GraphQL operations (mutations and queries beside their types).
import './builder.js';

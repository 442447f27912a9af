// Huya callbacks/notifications: POST /webhooks/huya/<storeAccountId>.
import './webhooks.js';

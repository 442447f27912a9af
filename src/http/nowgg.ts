// Nowgg callbacks/notifications: POST /webhooks/nowgg/<storeAccountId>.
import './webhooks.js';

// Huawei callbacks/notifications: POST /webhooks/huawei/<storeAccountId>.
import './webhooks.js';

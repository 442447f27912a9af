// The outbound policy the test suite's store fakes need: they listen on 127.0.0.1 over http.
import { OutboundGuard } from '../../src/platform/outbound-url.js';

export const testOutbound = new OutboundGuard({ allowPrivate: true, requireHttps: false });

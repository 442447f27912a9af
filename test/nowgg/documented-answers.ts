// verifyPurchase answers as the store's documentation shows them (English, Chinese and
// Korean pages). Cut samples keep only their visible part; placeholders ("<orderId>") are
// filled by the fake. Each fixture names the outcome it must have on each test account:
//  - `pinned`: packageName pinned to gg.now.sample.app, defaults otherwise;
//  - `open`: no app pins, environmentWhenUnreported PRODUCTION (accepts answers without isTestOrder).
// The claim is what the client sends with the token.

export type Outcome = { granted: string } | { refused: string };

export interface DocumentedAnswer {
  name: string;
  /** The public page the shape comes from. */
  source: string;
  /** True when the page shows the sample in full; false when the page cuts it off. */
  complete: boolean;
  data: Record<string, unknown>;
  claim: string;
  pinned: Outcome;
  open: Outcome;
}

const PACKAGE = 'gg.now.sample.app';

export const documentedAnswers: DocumentedAnswer[] = [
  {
    name: 'English reference, sample for now.gg, ONE store and Xiaomi (visible part): payStatusTxt "Unpaid"',
    source: 'https://docs.now.gg/payments/references/verifypurchase',
    complete: false,
    data: {
      appId: '11001',
      consumptionState: 0,
      currency: 'USD',
      developerPayload: '<developer_payload>',
      isTestOrder: false,
      kind: 'nowgg#productPurchase',
      orderAmount: '25.15',
      orderId: '<orderId>',
      packageName: PACKAGE,
      payStatusTxt: 'Unpaid',
    },
    claim: 'gems_100',
    pinned: { refused: 'PURCHASE_NOT_PAID' },
    open: { refused: 'PURCHASE_NOT_PAID' },
  },
  {
    name: 'Chinese reference (visible part): purchaseTime in seconds, purchaseState 0 but payStatusTxt "Unpaid"',
    source: 'https://docs.now.gg/cn/payments/references/verifypurchase',
    complete: false,
    data: {
      purchaseTimeMillis: '1630529397125',
      purchaseTime: '1630529397',
      purchaseState: 0,
      consumptionState: 0,
      developerPayload: '<developer_payload>',
      orderId: '<orderId_here>',
      appId: '3',
      kind: 'nowgg#productPurchase',
      regionCode: 'US',
      currency: 'USD',
      packageName: PACKAGE,
      payStatusTxt: 'Unpaid',
      orderAmount: '25.15',
      isTestOrder: false,
      payTimeTxt: '2024 - 10 - 3006: 08: 01',
    },
    claim: 'gems_100',
    pinned: { refused: 'PURCHASE_NOT_PAID' },
    open: { refused: 'PURCHASE_NOT_PAID' },
  },
  {
    name: 'Korean reference (visible part): purchaseTime in seconds beside purchaseTimeMillis, no isTestOrder, no product',
    source: 'https://docs.now.gg/ko/payments/references/verifypurchase',
    complete: false,
    data: {
      purchaseTimeMillis: '1630529397125',
      purchaseTime: '1630529397',
      purchaseState: 0,
      consumptionState: 0,
      developerPayload: '<developer_payload>',
      orderId: '<orderId_here>',
    },
    claim: 'gems_100',
    pinned: { refused: 'MALFORMED_PURCHASE' },
    open: { granted: 'gems_100' },
  },
  {
    name: 'English server-side configuration (visible part): milliseconds, payStatusTxt "Paid", no productId',
    source: 'https://docs.now.gg/payments/references/server-side-configuration',
    complete: false,
    data: {
      purchaseTimeMillis: '1630529397125',
      purchaseTime: '1630529397125',
      purchaseState: 0,
      consumptionState: 0,
      developerPayload: '<developer_payload>',
      orderId: '<orderId_here>',
      kind: 'nowgg#productPurchase',
      regionCode: 'US',
      currency: 'USD',
      packageName: PACKAGE,
      payStatusTxt: 'Paid',
      orderAmount: '25.15',
      isTestOrder: false,
      payTimeTxt: '2024 - 10 - 3006: 08: 01',
    },
    claim: 'gems_100',
    pinned: { granted: 'gems_100' },
    open: { granted: 'gems_100' },
  },
  {
    name: 'Korean server-side configuration (visible part): same fields, payStatusTxt "Paid"',
    source: 'https://docs.now.gg/ko/payments/references/server-side-configuration',
    complete: false,
    data: {
      purchaseTimeMillis: '1630529397125',
      purchaseTime: '1630529397125',
      purchaseState: 0,
      consumptionState: 0,
      developerPayload: '<developer_payload>',
      orderId: '<orderId_here>',
      kind: 'nowgg#productPurchase',
      regionCode: 'US',
      currency: 'USD',
      packageName: PACKAGE,
    },
    claim: 'gems_100',
    pinned: { refused: 'MALFORMED_PURCHASE' },
    open: { granted: 'gems_100' },
  },
  {
    name: 'Reference for the China endpoint (complete): no product, no isTestOrder, no app',
    source: 'https://docs.now.gg/payments/references/verifypurchase (base URL cloud-api.bluestacks.cn)',
    complete: true,
    data: {
      purchaseTimeMillis: '1630529397125',
      purchaseTime: '1630529397125',
      purchaseState: 0,
      consumptionState: 0,
      developerPayload: '<developer_payload>',
      orderId: '<orderId_here>',
      kind: 'nowgg#productPurchase',
      regionCode: 'US',
    },
    claim: 'gems_100',
    pinned: { refused: 'MALFORMED_PURCHASE' },
    open: { granted: 'gems_100' },
  },
  {
    name: 'Deprecated verifyPayment data (complete): sellerGoodsId, payStatusTxt "Paid", payTime in seconds',
    source: 'https://docs.now.gg/payments/references/verifypayment',
    complete: true,
    data: {
      currency: 'USD',
      orderAmount: '2.30',
      orderId: '1-202205270828092444340093',
      packageName: '123',
      payStatusTxt: 'Paid',
      payTime: '1653640320',
      payTimeTxt: '2022-05-27 08:32:00',
      sellerGoodsId: '111222344',
      isTestOrder: false,
    },
    claim: '111222344',
    pinned: { refused: 'WRONG_APPLICATION' },
    open: { granted: '111222344' },
  },
  {
    name: 'Deprecated verifyPayment data claimed as another product: sellerGoodsId wins over the claim',
    source: 'https://docs.now.gg/payments/references/verifypayment',
    complete: true,
    data: {
      currency: 'USD',
      orderAmount: '2.30',
      orderId: '1-202205270828092444340093',
      packageName: PACKAGE,
      payStatusTxt: 'Paid',
      payTime: '1653640320',
      sellerGoodsId: '111222344',
      isTestOrder: false,
    },
    claim: 'gems_100',
    pinned: { refused: 'WRONG_PRODUCT' },
    open: { refused: 'WRONG_PRODUCT' },
  },
];

/** Answers whose fields contradict each other or are impossible (the rules, not a page). */
export const contradictoryAnswers: { name: string; data: Record<string, unknown>; refused: string }[] = [
  {
    name: 'productId and sellerGoodsId name different products',
    data: { productId: 'gems_100', sellerGoodsId: '111222344', purchaseState: 0, purchaseTime: '1630529397125', isTestOrder: false, packageName: PACKAGE },
    refused: 'AMBIGUOUS_PURCHASE',
  },
  {
    name: 'purchaseTime and purchaseTimeMillis name different instants',
    data: { productId: 'gems_100', purchaseState: 0, purchaseTime: '1630529397', purchaseTimeMillis: '1630529999000', isTestOrder: false, packageName: PACKAGE },
    refused: 'AMBIGUOUS_PURCHASE',
  },
  {
    name: 'a pay status ZeroDrop cannot read',
    data: { productId: 'gems_100', purchaseState: 0, payStatusTxt: 'Refunding', purchaseTime: '1630529397125', isTestOrder: false, packageName: PACKAGE },
    refused: 'AMBIGUOUS_PURCHASE',
  },
  {
    name: 'payStatus says unpaid although purchaseState says purchased',
    data: { productId: 'gems_100', purchaseState: 0, payStatus: 'UNPAID', purchaseTime: '1630529397125', isTestOrder: false, packageName: PACKAGE },
    refused: 'PURCHASE_NOT_PAID',
  },
  {
    name: 'no payment state at all',
    data: { productId: 'gems_100', purchaseTime: '1630529397125', isTestOrder: false, packageName: PACKAGE },
    refused: 'MALFORMED_PURCHASE',
  },
  {
    name: 'purchaseTime of 1970 (neither seconds nor milliseconds of a plausible date)',
    data: { productId: 'gems_100', purchaseState: 0, purchaseTime: '86400', isTestOrder: false, packageName: PACKAGE },
    refused: 'MALFORMED_PURCHASE',
  },
  {
    name: 'purchaseTime far in the future',
    data: { productId: 'gems_100', purchaseState: 0, purchaseTime: '99999999999999', isTestOrder: false, packageName: PACKAGE },
    refused: 'MALFORMED_PURCHASE',
  },
];

// Outbound webhooks: endpoints an app registers, and the deliveries of events to them
// with their attempts. See services/webhooks.ts for signing and retries.
import { encodeGlobalID } from '@pothos/plugin-relay';
import { scopedAppId } from '../context.js';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors.js';
import type { TaskAttempt } from '../generated/prisma/client.js';
import { rowId } from '../services/validation.js';
import { deliveryStatus, deliveryStatusFilter, type WebhookDeliveryStatus } from '../services/webhooks.js';
import type { Builder } from './builder.js';
import type { OrderEventRefs } from './order-event.js';

export function registerWebhookEndpoints(builder: Builder, { OrderEventRef, OrderEventTypeEnum }: OrderEventRefs) {
  const WebhookDeliveryStatusEnum = builder.enumType('WebhookDeliveryStatus', {
    values: {
      PENDING: { description: 'Queued; not tried yet (or the first attempt is running).' },
      RETRYING: { description: 'Failed at least once; retried with backoff for at least three days.' },
      DELIVERED: { description: 'The receiver answered 2xx.' },
      FAILED: { description: 'Retries exhausted; resend it by hand with resendWebhookDelivery.' },
    } as const,
  });

  const WebhookEndpointNode = builder.prismaNode('WebhookEndpoint', {
    id: { field: 'id' },
    // an id that finds nothing (another tenant's, a deleted row's) resolves node(id) to null
    nullable: true,
    findUnique: (id, ctx) => ({ id: rowId(id), appId: scopedAppId(ctx) }),
    authScopes: { serverKey: true },
    description: 'A URL that receives signed POSTs of order events. The signing secret is shown only on creation and rotation.',
    fields: (t) => ({
      url: t.exposeString('url'),
      eventTypes: t.field({
        type: [OrderEventTypeEnum],
        description: 'The event types sent; empty means every type.',
        resolve: (endpoint) => endpoint.eventTypes,
      }),
      enabled: t.exposeBoolean('enabled', { description: 'Disabled endpoints are paused: their events are queued again once re-enabled.' }),
      deliveries: t.relatedConnection('deliveries', {
        cursor: 'seq',
        description: 'Newest first.',
        args: { status: t.arg({ type: [WebhookDeliveryStatusEnum] }) },
        query: (args) => ({
          orderBy: { seq: 'desc' as const },
          ...(args.status?.length ? { where: deliveryStatusFilter(args.status) } : {}),
        }),
      }),
      createdAt: t.expose('createdAt', { type: 'DateTime' }),
      updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    }),
  });

  const WebhookAttemptRef = builder.objectRef<TaskAttempt>('WebhookAttempt').implement({
    description: 'One try to send a delivery.',
    fields: (t) => ({
      attempt: t.exposeInt('attempt'),
      startedAt: t.expose('startedAt', { type: 'DateTime' }),
      finishedAt: t.expose('finishedAt', { type: 'DateTime' }),
      ok: t.exposeBoolean('ok'),
      error: t.exposeString('error', { nullable: true, description: 'Why it failed: no answer, timeout, or the HTTP status and the start of the body.' }),
    }),
  });

  const WebhookDeliveryNode = builder.prismaNode('WebhookDelivery', {
    id: { field: 'id' },
    // an id that finds nothing (another tenant's, a deleted row's) resolves node(id) to null
    nullable: true,
    findUnique: (id, ctx) => ({ id: rowId(id), appId: scopedAppId(ctx) }),
    authScopes: { serverKey: true },
    description: 'One event sent to one endpoint, with its attempts.',
    fields: (t) => ({
      endpoint: t.relation('endpoint'),
      event: t.field({
        type: OrderEventRef,
        description: 'The event, with its order as it is now.',
        select: { eventId: true, appId: true },
        resolve: async (delivery, _args, ctx) => {
          const event = await ctx.services.webhooks.event(delivery.appId, delivery.eventId);
          if (!event) throw new NotFoundError('Order event');
          return event;
        },
      }),
      status: t.field({
        type: WebhookDeliveryStatusEnum,
        select: { task: { select: { status: true, lastError: true } } },
        resolve: (delivery) => deliveryStatus(delivery.task),
      }),
      attempts: t.int({
        description: 'Attempts made so far, including one running now.',
        select: { task: { select: { attempts: true } } },
        resolve: (delivery) => delivery.task.attempts,
      }),
      attemptLog: t.field({
        type: [WebhookAttemptRef],
        description: 'The latest 50 attempts, newest first.',
        select: { task: { select: { attemptLog: { orderBy: { attempt: 'desc' as const }, take: 50 } } } },
        resolve: (delivery) => delivery.task.attemptLog,
      }),
      nextAttemptAt: t.field({
        type: 'DateTime',
        nullable: true,
        description: 'When the next attempt is due, while the delivery is pending or retrying.',
        select: { task: { select: { status: true, runAt: true } } },
        resolve: (delivery) => (delivery.task.status === 'PENDING' ? delivery.task.runAt : null),
      }),
      lastError: t.string({
        nullable: true,
        select: { task: { select: { lastError: true, status: true } } },
        resolve: (delivery) => (delivery.task.status === 'DONE' ? null : delivery.task.lastError),
      }),
      lastResponseStatus: t.exposeInt('lastResponseStatus', { nullable: true, description: 'HTTP status of the latest answer, if any.' }),
      deliveredAt: t.expose('deliveredAt', { type: 'DateTime', nullable: true, description: 'The latest 2xx answer.' }),
      createdAt: t.expose('createdAt', { type: 'DateTime' }),
    }),
  });

  builder.queryField('webhookEndpoints', (t) =>
    t.prismaField({
      type: ['WebhookEndpoint'],
      authScopes: { serverKey: true },
      resolve: (query, _root, _args, ctx) => ctx.services.webhooks.endpoints(query, scopedAppId(ctx)),
    }),
  );

  const WebhookDeliveryFilter = builder.inputType('WebhookDeliveryFilter', {
    fields: (t) => ({
      endpointId: t.globalID({ for: [WebhookEndpointNode] }),
      status: t.field({ type: [WebhookDeliveryStatusEnum], description: 'Any of these (all when omitted or empty).' }),
    }),
  });

  builder.queryField('webhookDeliveries', (t) =>
    t.prismaConnection({
      type: 'WebhookDelivery',
      cursor: 'seq',
      description: 'Deliveries of all endpoints, newest first.',
      authScopes: { serverKey: true },
      args: { filter: t.arg({ type: WebhookDeliveryFilter }) },
      resolve: (query, _root, args, ctx) =>
        ctx.services.webhooks.deliveries(query, scopedAppId(ctx), {
          endpointId: args.filter?.endpointId?.id,
          statuses: args.filter?.status as WebhookDeliveryStatus[] | null | undefined,
        }),
    }),
  );

  // ---- mutations ---------------------------------------------------------------------

  const WebhookEndpointPayload = builder.objectRef<{ id: string }>('WebhookEndpointPayload').implement({
    fields: (t) => ({
      endpoint: t.prismaField({
        type: 'WebhookEndpoint',
        resolve: async (query, p, _a, ctx) => {
          const endpoint = await ctx.services.webhooks.endpoint(query, scopedAppId(ctx), p.id);
          if (!endpoint) throw new NotFoundError('Webhook endpoint');
          return endpoint;
        },
      }),
    }),
  });

  const WebhookEndpointSecretPayload = builder.objectRef<{ id: string; secret: string }>('WebhookEndpointSecretPayload').implement({
    fields: (t) => ({
      endpoint: t.field({ type: WebhookEndpointPayload, resolve: (p) => p, description: 'The endpoint.' }),
      secret: t.exposeString('secret', {
        description: 'The signing secret ("whsec_…"). Shown only now: store it with the receiver.',
      }),
    }),
  });

  const CreateWebhookEndpointInput = builder.inputType('CreateWebhookEndpointInput', {
    fields: (t) => ({
      url: t.string({ required: true, description: 'http(s) URL that accepts POSTs.' }),
      eventTypes: t.field({ type: [OrderEventTypeEnum], description: 'Event types to send; omitted or empty: every type.' }),
    }),
  });

  builder.mutationField('createWebhookEndpoint', (t) =>
    t.field({
      type: WebhookEndpointSecretPayload,
      description: 'Registers an endpoint. It receives the events that commit from now on.',
      authScopes: { serverKey: true },
      errors: { types: [ValidationError], union: { name: 'CreateWebhookEndpointResult' } },
      args: { input: t.arg({ type: CreateWebhookEndpointInput, required: true }) },
      resolve: async (_root, { input }, ctx) => {
        const { endpoint, secret } = await ctx.services.webhooks.createEndpoint(scopedAppId(ctx), input);
        return { id: endpoint.id, secret };
      },
    }),
  );

  const UpdateWebhookEndpointInput = builder.inputType('UpdateWebhookEndpointInput', {
    fields: (t) => ({
      id: t.globalID({ required: true, for: [WebhookEndpointNode] }),
      url: t.string(),
      eventTypes: t.field({ type: [OrderEventTypeEnum], description: 'Replaces the list; empty: every type.' }),
      enabled: t.boolean({ description: 'false pauses the endpoint; true resumes it, with everything that committed meanwhile.' }),
    }),
  });

  builder.mutationField('updateWebhookEndpoint', (t) =>
    t.field({
      type: WebhookEndpointPayload,
      authScopes: { serverKey: true },
      errors: { types: [ValidationError, NotFoundError], union: { name: 'UpdateWebhookEndpointResult' } },
      args: { input: t.arg({ type: UpdateWebhookEndpointInput, required: true }) },
      resolve: async (_root, { input }, ctx) => {
        const endpoint = await ctx.services.webhooks.updateEndpoint(scopedAppId(ctx), input.id.id, {
          url: input.url,
          eventTypes: input.eventTypes,
          enabled: input.enabled,
        });
        return { id: endpoint.id };
      },
    }),
  );

  const WebhookEndpointIdInput = builder.inputType('WebhookEndpointIdInput', {
    fields: (t) => ({ id: t.globalID({ required: true, for: [WebhookEndpointNode] }) }),
  });

  const DeleteWebhookEndpointPayload = builder.objectRef<{ deletedId: string }>('DeleteWebhookEndpointPayload').implement({
    fields: (t) => ({ deletedId: t.exposeID('deletedId', { description: 'The global id of the deleted endpoint.' }) }),
  });

  builder.mutationField('deleteWebhookEndpoint', (t) =>
    t.field({
      type: DeleteWebhookEndpointPayload,
      description: 'Deletes the endpoint and its delivery history; queued deliveries are dropped.',
      authScopes: { serverKey: true },
      errors: { types: [NotFoundError], union: { name: 'DeleteWebhookEndpointResult' } },
      args: { input: t.arg({ type: WebhookEndpointIdInput, required: true }) },
      resolve: async (_root, { input }, ctx) => {
        await ctx.services.webhooks.deleteEndpoint(scopedAppId(ctx), input.id.id);
        return { deletedId: encodeGlobalID('WebhookEndpoint', input.id.id) };
      },
    }),
  );

  builder.mutationField('rotateWebhookEndpointSecret', (t) =>
    t.field({
      type: WebhookEndpointSecretPayload,
      description: 'Replaces the signing secret; the old one stops working at once.',
      authScopes: { serverKey: true },
      errors: { types: [NotFoundError], union: { name: 'RotateWebhookEndpointSecretResult' } },
      args: { input: t.arg({ type: WebhookEndpointIdInput, required: true }) },
      resolve: async (_root, { input }, ctx) => {
        const { endpoint, secret } = await ctx.services.webhooks.rotateSecret(scopedAppId(ctx), input.id.id);
        return { id: endpoint.id, secret };
      },
    }),
  );

  const ResendWebhookDeliveryInput = builder.inputType('ResendWebhookDeliveryInput', {
    fields: (t) => ({ deliveryId: t.globalID({ required: true, for: [WebhookDeliveryNode] }) }),
  });

  const WebhookDeliveryPayload = builder.objectRef<{ id: string }>('WebhookDeliveryPayload').implement({
    fields: (t) => ({
      delivery: t.prismaField({
        type: 'WebhookDelivery',
        resolve: async (query, p, _a, ctx) => {
          const delivery = await ctx.services.webhooks.delivery(query, scopedAppId(ctx), p.id);
          if (!delivery) throw new NotFoundError('Webhook delivery');
          return delivery;
        },
      }),
    }),
  });

  builder.mutationField('resendWebhookDelivery', (t) =>
    t.field({
      type: WebhookDeliveryPayload,
      description:
        'Sends the delivery again now, whatever its status, with a fresh retry budget. The event id stays the same, so ' +
        'a receiver that already has it can ignore it.',
      authScopes: { serverKey: true },
      errors: { types: [NotFoundError, ConflictError], union: { name: 'ResendWebhookDeliveryResult' } },
      args: { input: t.arg({ type: ResendWebhookDeliveryInput, required: true }) },
      resolve: async (_root, { input }, ctx) => {
        await ctx.services.webhooks.resend(scopedAppId(ctx), input.deliveryId.id);
        return { id: input.deliveryId.id };
      },
    }),
  );

  return { WebhookEndpointNode, WebhookDeliveryNode };
}

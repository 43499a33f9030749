import { MloopError } from '../../core/errors';
import { TOPICS, type ModelPromoted } from '../../core/events';
import type { Context } from '../context';
import { artifactsPrefix, type ModelDoc, type ModelVersionDoc, type Stage } from '../store/documents';
import { storeOf, type TxStore } from '../store';

/**
 * The model registry: stages, aliases and the trail of who moved which version where, and why. Every
 * change is one transaction over the version documents and the model's production pointer, so two
 * racing promotions cannot both win and the trail never disagrees with the pointer.
 */
export interface Actor {
  by: string;
  reason: string;
}

export interface TransitionRecord {
  from: Stage | null;
  to: Stage;
  by: string;
  at: string;
  reason: string;
}

export interface RegistryChange {
  model: string;
  version: string;
  stage: Stage;
  previous_production: string | null;
}

/** Which moves a person may make by hand; automatic promotion goes through the same checks. */
const ALLOWED: Record<Stage, Stage[]> = {
  candidate: ['production', 'rejected'],
  production: ['archived'],
  archived: ['production'],
  rejected: ['production'],
};

export function historyEntry(from: Stage | null, to: Stage, actor: Actor, at: Date): TransitionRecord {
  return { from, to, by: actor.by, at: at.toISOString(), reason: actor.reason };
}

/**
 * Inside a transaction whose reads are done: make `version` the production version of `model`,
 * archiving the one it replaces. Callers read both documents first, as Firestore requires. With a
 * canary percentage (and a version it replaces), the replaced one keeps the rest of the traffic until
 * `completeCanary` or `abortCanary`; without, any canary in progress ends here.
 */
export function writePromotion(
  tx: TxStore,
  model: ModelDoc,
  version: ModelVersionDoc,
  previous: ModelVersionDoc | null,
  actor: Actor,
  at: Date,
  canaryPercent = 0,
): void {
  const now = at.toISOString();
  if (previous && previous.version !== version.version) {
    tx.versions.update(model.name, previous.version, {
      stage: 'archived',
      history: [...(previous.history ?? []), historyEntry('production', 'archived', { by: actor.by, reason: `replaced by ${version.version}` }, at)],
    });
  }
  tx.versions.update(model.name, version.version, {
    stage: 'production',
    promoted_at: now,
    history: [...(version.history ?? []), historyEntry(version.stage, 'production', actor, at)],
  });
  // A challenger that becomes production is no longer a challenger: it would shadow itself.
  const { challenger, ...aliases } = model.aliases ?? {};
  tx.models.update(model.name, {
    production_version: version.version,
    previous_version: previous?.version ?? model.production_version,
    aliases: { ...aliases, ...(challenger && challenger !== version.version ? { challenger } : {}), champion: version.version },
    canary:
      canaryPercent > 0 && previous && previous.version !== version.version
        ? { version: version.version, previous_version: previous.version, percent: canaryPercent, started_at: now }
        : null,
    updated_at: now,
  });
}

/**
 * `mloop models promote|approve`: make a version the production one, by hand, as a canary when
 * MLOOP_CANARY_PERCENT is set. A rollback (`canaryPercent` 0) moves all traffic at once.
 */
export async function promoteVersion(ctx: Context, model: string, version: string, actor: Actor, only?: Stage, canaryPercent = ctx.config.canaryPercent): Promise<RegistryChange> {
  const change = await storeOf(ctx).inTransaction(async (tx) => {
    const { modelDoc, versionDoc } = await readVersion(tx, model, version);
    if (only && versionDoc.stage !== only) {
      throw new MloopError('failed_precondition', `${model} ${version} is ${versionDoc.stage}, not ${only}`);
    }
    if (versionDoc.stage === 'production') throw new MloopError('failed_precondition', `${model} ${version} is already in production`);
    checkMove(versionDoc.stage, 'production', model, version);
    const previous = modelDoc.production_version ? await tx.versions.get(model, modelDoc.production_version) : null;
    writePromotion(tx, modelDoc, versionDoc, previous, actor, ctx.platform.clock.now(), canaryPercent);
    return { model, version: versionDoc.version, stage: 'production' as Stage, previous_production: modelDoc.production_version };
  });
  await announcePromotion(ctx, model, change.version, change.previous_production, `manual:${actor.by}`);
  return change;
}

/** `mloop models rollback`: back to the version production had before the current one. */
export async function rollback(ctx: Context, model: string, actor: Actor): Promise<RegistryChange> {
  const doc = await storeOf(ctx).models.get(model);
  if (!doc) throw new MloopError('not_found', `there is no model "${model}"`);
  if (!doc.previous_version) throw new MloopError('failed_precondition', `${model} has no previous production version to roll back to`);
  return promoteVersion(ctx, model, doc.previous_version, actor, undefined, 0);
}

/** `mloop models canary complete`: the canary's version gets all the traffic. */
export async function completeCanary(ctx: Context, model: string, actor: Actor): Promise<RegistryChange> {
  const change = await storeOf(ctx).inTransaction(async (tx) => {
    const modelDoc = await tx.models.get(model);
    const canary = activeCanary(modelDoc, model);
    const versionDoc = await tx.versions.get(model, canary.version);
    const at = ctx.platform.clock.now();
    if (versionDoc) {
      tx.versions.update(model, canary.version, {
        history: [...(versionDoc.history ?? []), historyEntry('production', 'production', { by: actor.by, reason: `canary completed (was ${canary.percent} %): ${actor.reason}` }, at)],
      });
    }
    tx.models.update(model, { canary: null, updated_at: at.toISOString() });
    return { model, version: canary.version, stage: 'production' as Stage, previous_production: canary.previous_version };
  });
  await announcePromotion(ctx, model, change.version, change.previous_production, `canary-complete:${actor.by}`);
  return change;
}

/** `mloop models canary abort`: production goes back to the version before the canary, with all the traffic. */
export async function abortCanary(ctx: Context, model: string, actor: Actor): Promise<RegistryChange> {
  const doc = await storeOf(ctx).models.get(model);
  const canary = activeCanary(doc, model);
  return promoteVersion(ctx, model, canary.previous_version, { by: actor.by, reason: `canary of ${canary.version} aborted: ${actor.reason}` }, undefined, 0);
}

function activeCanary(doc: ModelDoc | null, model: string) {
  if (!doc) throw new MloopError('not_found', `there is no model "${model}"`);
  if (!doc.canary || doc.canary.version !== doc.production_version) {
    throw new MloopError('failed_precondition', `${model} has no canary in progress (production ${doc.production_version ?? 'none'} serves all traffic)`);
  }
  return doc.canary;
}

/** `mloop models reject`: a candidate that must not be served. */
export async function rejectVersion(ctx: Context, model: string, version: string, actor: Actor): Promise<RegistryChange> {
  return storeOf(ctx).inTransaction(async (tx) => {
    const { versionDoc } = await readVersion(tx, model, version);
    checkMove(versionDoc.stage, 'rejected', model, version);
    tx.versions.update(model, versionDoc.version, {
      stage: 'rejected',
      history: [...(versionDoc.history ?? []), historyEntry(versionDoc.stage, 'rejected', actor, ctx.platform.clock.now())],
    });
    return { model, version: versionDoc.version, stage: 'rejected' as Stage, previous_production: null };
  });
}

/** `mloop models delete`: only versions nobody serves or waits for; the artifacts go too. */
export async function deleteVersion(ctx: Context, model: string, ref: string): Promise<{ deleted: string[] }> {
  const version = await storeOf(ctx).inTransaction(async (tx) => {
    const { modelDoc, versionDoc } = await readVersion(tx, model, ref);
    if (versionDoc.stage !== 'archived' && versionDoc.stage !== 'rejected') {
      throw new MloopError('failed_precondition', `${model} ${ref} is ${versionDoc.stage}: only archived or rejected versions can be deleted`);
    }
    tx.versions.delete(model, versionDoc.version);
    // its label is free again
    if (versionDoc.label && modelDoc.labels?.[versionDoc.label] === versionDoc.version) {
      const { [versionDoc.label]: _freed, ...labels } = modelDoc.labels;
      tx.models.update(model, { labels });
    }
    return versionDoc.version;
  });
  const objects = await ctx.platform.objects.list(ctx.config.artifactsBucket, artifactsPrefix(model, version));
  for (const object of objects) await ctx.platform.objects.delete(object.bucket, object.name);
  return { deleted: objects.map((o) => o.name) };
}

/** A free alias (`challenger`, `shadow`, anything) pointing at a version; `champion` follows production. */
export async function setAlias(ctx: Context, model: string, alias: string, version: string): Promise<void> {
  if (alias === 'champion') throw new MloopError('invalid_argument', '"champion" always names the production version: promote instead');
  if (!/^[a-z][a-z0-9_-]{0,31}$/.test(alias)) throw new MloopError('invalid_argument', `alias "${alias}": lowercase letters, digits, - and _`);
  await storeOf(ctx).inTransaction(async (tx) => {
    const { modelDoc, versionDoc } = await readVersion(tx, model, version);
    tx.models.update(model, { aliases: { ...(modelDoc.aliases ?? {}), [alias]: versionDoc.version } });
  });
}

export async function announcePromotion(ctx: Context, model: string, version: string, previous: string | null, decisionId: string): Promise<void> {
  const message: ModelPromoted = {
    model,
    version,
    previous_version: previous,
    decision_id: decisionId,
    promoted_at: ctx.platform.clock.now().toISOString(),
  };
  // onModelPromoted rolls the scoring service to what the registry now says (locally, the in-process
  // server swaps); the registry has already moved, so a lost or late event only delays serving.
  await ctx.platform.bus.publish(TOPICS.modelPromoted, message, { attributes: { model }, orderingKey: model });
  ctx.log.info({ model, version, previous, decision_id: decisionId }, 'promotion announced');
}

async function readVersion(tx: TxStore, model: string, version: string) {
  const modelDoc = await tx.models.get(model);
  if (!modelDoc) throw new MloopError('not_found', `there is no model "${model}"`);
  // a version is named by its vN or its label (store/version_ref.ts)
  const versionDoc = await tx.versions.get(model, modelDoc.labels?.[version] ?? version);
  if (!versionDoc) throw new MloopError('not_found', `${model} has no version ${version}`);
  return { modelDoc, versionDoc };
}

function checkMove(from: Stage, to: Stage, model: string, version: string): void {
  if (!ALLOWED[from].includes(to)) {
    throw new MloopError('failed_precondition', `${model} ${version} cannot go from ${from} to ${to}`);
  }
}

/**
 * The combination-rule process: takes plans from the batcher and results from every member on one
 * PULL socket, applies the ensemble's rule per complete batch, and pushes each client its reply
 * (envelope + frame) straight to the client when the client connected for it (direct-replies.ts),
 * else to the batcher, which forwards it untouched. Built-in rules are microseconds
 * per batch and run inline; a custom rule runs on piscina threads so it never blocks this loop.
 *
 * Across restarts: the direct answers are journaled (answer-journal.ts) so that a successor does not
 * send them twice, and batches whose batcher died are finished here, one answer per request
 * (reply-guard.ts).
 */
import { Pull, Push } from 'zeromq';
import { builtinRule, CustomRuleRunner, membersUpTo, type CombinationRule, type CombineInput, type CombineOutput } from '@tutti/rules';
import {
  PLAN,
  RESULT,
  TuttiError,
  decodeHeader,
  encodeError,
  encodeMessage,
  memberOutputs,
  workerId,
  type InferReply,
  type PlanHeader,
  type PlanPart,
  type ReturnedCredit,
  type WireTensor,
} from '@tutti/protocol';
import type { Ensemble } from '@tutti/manifest';
import { BatchAssembler, type CompleteBatch } from './batch-assembly.js';
import type { CombinerConfig } from '../shared/config.js';
import { combineInputOf, encodeDeadline, encodeFailure, encodeReplies, replyMessage } from '../shared/replies.js';
import { ReplyGuard } from './reply-guard.js';
import { AnswerJournal } from './answer-journal.js';
import { DroppedMessages } from '../shared/dropped-messages.js';
import { internalCurveServer } from '../shared/curve.js';
import { SendQueue } from '@tutti/protocol';
import { mark } from '../shared/spans.js';
import { DirectReplies, type Answer } from './direct-replies.js';
import {
  cascadeExitsTotal,
  cascadeMemberCallsTotal,
  combineSeconds,
  emulationLagSeconds,
  inferencesTotal,
  repliesTotal,
  requestSeconds,
} from '../shared/metrics.js';
import { ServedCascade } from '../shared/cascade.js';
import { CascadeHold, cascadeKey, stageParts } from './cascade-stage.js';
import { TIMING } from '../shared/timing.js';
import { processLog } from '../shared/log.js';

type Apply = (input: CombineInput) => CombineOutput | Promise<CombineOutput>;

/** What a request has had before a cascade's first stage. */
const NOTHING_YET: ReadonlyMap<string, WireTensor[]> = new Map();

/** A batch whose requests are not all answered yet, with the timer of the next deadline among them. */
interface Open {
  unanswered: Set<number>;
  plan: PlanHeader;
  timer?: NodeJS.Timeout;
}

/** The sockets a combiner binds for the batcher and the workers. */
export interface CombinerSockets {
  input: Pull;
  replies: Push;
}

function combinerSockets(): CombinerSockets {
  return { input: new Pull({ receiveHighWaterMark: 0, linger: 0 }), replies: new Push({ sendHighWaterMark: 0, linger: 0 }) };
}

export class Combiner {
  #ensemble: Ensemble;
  #config: CombinerConfig;
  #input: Pull;
  #replies: Push;
  #replyQueue: SendQueue;
  #assembler: BatchAssembler;
  #apply: Apply | undefined;
  #custom: CustomRuleRunner | undefined;
  #open = new Map<number, Open>();
  #direct: DirectReplies | undefined;
  #guard = new ReplyGuard({ lingerMs: TIMING.orphanAnswerLingerMs });
  #journal: AnswerJournal | undefined;
  #dropped = new DroppedMessages('combiner', 'input');
  /** The ensemble's cascade, and what its requests between stages have had so far (issue 16). */
  #cascade: ServedCascade | undefined;
  #hold = new CascadeHold();
  /** How many combiners ran before this one (see PlanHeader.generation). */
  #generation: number;

  /** `sockets` are ZeroMQ's unless a test gives its own (the PULL for plans and results, the PUSH to the batcher). */
  constructor(config: CombinerConfig, sockets: CombinerSockets = combinerSockets()) {
    this.#input = sockets.input;
    this.#replies = sockets.replies;
    this.#replyQueue = new SendQueue(this.#replies, (error) => processLog().error({ err: error }, 'send to the batcher failed'));
    this.#config = config;
    this.#ensemble = config.ensemble;
    this.#assembler = new BatchAssembler(config.ensemble.members.map((m) => m.name));
    this.#generation = config.generation ?? 0;
    this.#cascade = ServedCascade.of(config.ensemble);
  }

  async start(): Promise<Record<string, string>> {
    const { rule } = this.#ensemble;
    if (rule.kind === 'builtin') {
      const apply: CombinationRule = builtinRule(rule.name);
      this.#apply = apply;
    } else {
      this.#custom = await CustomRuleRunner.create(rule.path);
      this.#apply = (input) => this.#custom!.run(input);
    }
    internalCurveServer(this.#input, this.#config.internalCurve);
    internalCurveServer(this.#replies, this.#config.internalCurve);
    await this.#input.bind(this.#config.bind.input);
    await this.#replies.bind(this.#config.bind.replies);
    const endpoints: Record<string, string> = { input: this.#input.lastEndpoint!, replies: this.#replies.lastEndpoint! };
    if (this.#config.bind.clients) {
      if (this.#config.journal) {
        this.#journal = new AnswerJournal(this.#config.journal);
        this.#guard.journaled(this.#journal.previous, Date.now());
      }
      this.#direct = new DirectReplies(this.#guard, {
        ...(this.#config.curve && { curve: this.#config.curve }),
        ...(this.#journal && { journal: this.#journal }),
      });
      endpoints.clients = await this.#direct.bind(this.#config.bind.clients);
    }
    void this.#loop();
    return endpoints;
  }

  async #loop(): Promise<void> {
    for await (const [headerFrame, ...frames] of this.#input) {
      let complete: CompleteBatch | undefined;
      // A result's instance is free again once the result is here: its credit goes back with the
      // batch's answers when it completes the batch, else at once (see ReplyHeader.credits).
      let credits: ReturnedCredit[] = [];
      let batch = 0;
      try {
        const header = decodeHeader(headerFrame!);
        if (header.kind === PLAN) {
          // A plan also sent on its own (a deadline was near, or after a restart) may come after the
          // batch was planned from its results, or even answered: it must not open it again.
          if (this.#assembler.needsPlan(header.batch)) {
            this.#opened(header);
            complete = this.#assembler.addPlan(header);
          }
        } else if (header.kind === RESULT) {
          mark('combiner.result', header.batch);
          batch = header.batch;
          credits = [{ worker: workerId(header.shard, header.instance), serviceMs: header.serviceMs }];
          const planFrame = header.plan ? frames.pop() : undefined;
          if (planFrame && this.#assembler.needsPlan(batch)) complete = this.#passedOn(batch, planFrame);
          const outputs = memberOutputs(header, frames);
          header.results.forEach((r, k) => {
            if (r.emulationLagMs !== undefined) emulationLagSeconds.observe({ member: r.member }, r.emulationLagMs / 1000);
            const result = { member: r.member, outputs: outputs[k]!, computeMs: r.computeMs, ...(r.error ? { error: r.error } : {}) };
            complete = this.#assembler.addResult(header.batch, result) ?? complete;
          });
        } else throw new TuttiError('INTERNAL', `a message of kind ${header.kind} came where plans and results go`);
      } catch (error) {
        this.#dropped.drop(error);
      }
      if (complete) void this.#combine(complete, credits);
      else if (credits.length > 0) this.#returnCredits(batch, credits);
    }
  }

  /**
   * The plan a worker passed on with its result. Used unless it is from before this combiner's
   * restart: the batcher sends those again, cut to what the combiner before this one did not answer.
   */
  #passedOn(batch: number, frame: Buffer): CompleteBatch | undefined {
    const plan = decodeHeader(frame);
    if (plan.kind !== PLAN || plan.batch !== batch)
      throw new TuttiError('INTERNAL', `the plan passed on with batch ${batch}'s result is not its plan`);
    if ((plan.generation ?? 0) < this.#generation) return undefined;
    this.#opened(plan);
    return this.#assembler.addPlan(plan);
  }

  /** Tells the batcher these instances are free again, in a message of their own (no answers). */
  #returnCredits(batch: number, credits: ReturnedCredit[]): void {
    this.#replyQueue.send(replyMessage(batch, [], false, { credits }));
  }

  /** Starts the deadline watch of a new batch: a request past its timeout is answered at once. */
  #opened(plan: PlanHeader): void {
    if (this.#open.has(plan.batch)) return;
    this.#open.set(plan.batch, { plan, unanswered: new Set(plan.parts.map((p) => p.index)) });
    for (const batch of this.#guard.planned(plan.batch, this.#open.keys(), plan.replanned === true)) this.#orphaned(batch);
    this.#watchDeadlines(plan.batch);
  }

  /** The batcher that formed `batch` is dead: it answers no deadline, and goes after a grace. */
  #orphaned(batch: number): void {
    const open = this.#open.get(batch)!;
    clearTimeout(open.timer);
    open.timer = setTimeout(() => {
      inferencesTotal.inc({ outcome: 'orphan-dropped' }, open.unanswered.size);
      this.#close(batch);
      this.#guard.closed(batch);
    }, TIMING.orphanGraceMs);
  }

  /** Forgets a batch answered in full. The guard forgets it once its last answers are delivered (see #deliver). */
  #close(batch: number): void {
    clearTimeout(this.#open.get(batch)?.timer);
    this.#open.delete(batch);
    this.#assembler.forget(batch);
  }

  #watchDeadlines(batch: number): void {
    const open = this.#open.get(batch);
    // An orphan's deadline answers would race its clients' re-sent requests: it has its own timer.
    if (!open || this.#guard.isOrphan(batch)) return;
    const now = Date.now();
    let next = Infinity;
    for (const part of open.plan.parts) {
      if (!open.unanswered.has(part.index) || !part.deadline) continue;
      if (part.deadline > now) next = Math.min(next, part.deadline);
      else if (part.partial) void this.#answerPartially(open.plan, part);
      else this.#answer(batch, part, encodeDeadline(part), 'DEADLINE_EXCEEDED');
    }
    if (this.#open.has(batch) && Number.isFinite(next)) open.timer = setTimeout(() => this.#watchDeadlines(batch), next - now);
  }

  /** Sends one request's reply, once: a part already answered (by its deadline) is not answered again. */
  #answer(batch: number, part: PlanPart, frames: Buffer[], outcome: string): void {
    const last = this.#settle(batch, part, outcome);
    if (last !== undefined) this.#deliver(batch, [{ index: part.index, frames, id: part.id }], last);
  }

  /**
   * Replies go straight to clients that can take them; the batcher hears which, and forwards the
   * rest (and, in a cascade, which requests go on to their next stage).
   */
  #deliver(batch: number, answers: Answer[], last: boolean, continued: number[] = [], credits: ReturnedCredit[] = []): void {
    if (!this.#direct) {
      repliesTotal.inc({ path: 'batcher' }, answers.length);
      this.#replyQueue.send(replyMessage(batch, answers, last, { continued, credits }));
      if (last) this.#guard.closed(batch);
      return;
    }
    // The guard judges these answers when their turn to be sent comes, with the batch still known to it.
    void this.#direct.send(batch, answers).then(
      ({ direct, viaBatcher, refused, unsure }) => {
        if (last) this.#guard.closed(batch);
        repliesTotal.inc({ path: 'direct' }, direct.length);
        repliesTotal.inc({ path: 'batcher' }, viaBatcher.length);
        repliesTotal.inc({ path: 'refused' }, refused.length);
        repliesTotal.inc({ path: 'unsure' }, unsure.length);
        // Refused answers' requests are answered elsewhere: for the batcher, they are settled like direct ones.
        this.#replyQueue.send(replyMessage(batch, viaBatcher, last, { direct: [...direct, ...refused], unsure, continued, credits }));
      },
      (error: unknown) => {
        // Rare (the journal could not be written): not sent, and the batcher not told; the clients' own timers end these requests.
        processLog().error({ batch, err: error }, `replies of batch ${batch} failed: ${(error as Error).message}`);
        if (credits.length > 0) this.#returnCredits(batch, credits);
      },
    );
  }

  /**
   * Marks a part answered, counting it; undefined when it already was (or the batch is gone),
   * else whether it was the batch's last unanswered part.
   */
  #settle(batch: number, part: PlanPart, outcome: string): boolean | undefined {
    const open = this.#open.get(batch);
    if (!open || !open.unanswered.delete(part.index)) return undefined;
    inferencesTotal.inc({ outcome });
    requestSeconds.observe((performance.timeOrigin + performance.now() - part.arrivedAt) / 1000);
    const last = open.unanswered.size === 0;
    if (last) this.#close(batch);
    return last;
  }

  /** The straggler answer: combine what the members that did answer gave, and say which they were. */
  async #answerPartially(plan: PlanHeader, part: PlanPart): Promise<void> {
    const results = this.#assembler.resultsSoFar(plan.batch);
    if (results.length === 0) {
      this.#answer(plan.batch, part, encodeDeadline(part), 'DEADLINE_EXCEEDED');
      return;
    }
    const batch: CompleteBatch = { plan: { ...plan, parts: [part] }, results };
    try {
      const input = combineInputOf(this.#ensemble, batch);
      const combined = await this.#apply!(input);
      // now = 0: this part is answered at its deadline on purpose, not refused for passing it.
      this.#answer(plan.batch, part, encodeReplies(this.#ensemble, batch, input, combined, 0)[0]!, 'partial');
    } catch (error) {
      this.#answer(
        plan.batch,
        part,
        encodeFailure(batch, 'INTERNAL', `combination rule failed: ${(error as Error).message}`)[0]!,
        'INTERNAL',
      );
    }
  }

  /** `credits`: of the instances whose results completed the batch, returned with its answers. */
  async #combine(batch: CompleteBatch, credits: ReturnedCredit[]): Promise<void> {
    const failed = batch.results.find((r) => r.error !== undefined);
    if (failed) {
      const replies = encodeFailure(batch, 'INTERNAL', `member "${failed.member}" failed on this batch: ${failed.error}`);
      this.#sendAll(batch, replies, 'INTERNAL', credits);
      return;
    }
    if (batch.plan.stage !== undefined) {
      this.#combineStage(batch, credits);
      return;
    }
    try {
      const input = combineInputOf(this.#ensemble, batch);
      const started = performance.now();
      const combined = await this.#apply!(input);
      combineSeconds.observe((performance.now() - started) / 1000);
      const now = Date.now();
      const replies = encodeReplies(this.#ensemble, batch, input, combined, now);
      this.#sendAll(batch, replies, (part) => (part.deadline && now > part.deadline ? 'DEADLINE_EXCEEDED' : 'ok'), credits);
    } catch (error) {
      this.#sendAll(batch, encodeFailure(batch, 'INTERNAL', `combination rule failed: ${(error as Error).message}`), 'INTERNAL', credits);
    }
  }

  /**
   * A cascade's stage batch: each request is combined with what its earlier stages gave, and
   * answered if sure enough, else held and sent on to its next stage (the batcher queues it again).
   */
  #combineStage(batch: CompleteBatch, credits: ReturnedCredit[]): void {
    const { plan } = batch;
    const now = Date.now();
    this.#hold.expire(now);
    // What each request had at its earlier stages (nothing at the first).
    const held = plan.stage === 0 ? plan.parts.map(() => NOTHING_YET) : plan.parts.map((part) => this.#hold.take(cascadeKey(part)));
    let decided: ReturnType<typeof stageParts>;
    try {
      decided = stageParts(this.#cascade!, this.#ensemble, plan, batch.results, held, now);
    } catch (error) {
      this.#sendAll(batch, encodeFailure(batch, 'INTERNAL', `combination rule failed: ${(error as Error).message}`), 'INTERNAL', credits);
      return;
    }
    const answers: Answer[] = [];
    const continued: number[] = [];
    let last = false;
    let exited = 0;
    for (const decision of decided.parts) {
      const { part } = decision;
      if ('keep' in decision) {
        const open = this.#open.get(plan.batch);
        if (!open || !open.unanswered.delete(part.index)) continue;
        this.#hold.put(cascadeKey(part), decision.keep, part.deadline);
        continued.push(part.index);
        if (open.unanswered.size === 0) {
          this.#close(plan.batch);
          last = true;
        }
        continue;
      }
      const settled = this.#settle(plan.batch, part, decision.outcome);
      if (settled === undefined) continue;
      if (decision.outcome === 'ok') exited++;
      answers.push({ index: part.index, frames: decision.frames, id: part.id });
      last ||= settled;
    }
    // Counted once per batch: a labelled counter's update costs more than the rest of a request's bookkeeping here.
    if (exited > 0) {
      cascadeExitsTotal.inc({ stage: String(plan.stage) }, exited);
      cascadeMemberCallsTotal.inc(decided.calls * exited);
    }
    mark('combiner.replied', plan.batch);
    if (answers.length > 0 || continued.length > 0) this.#deliver(plan.batch, answers, last, continued, credits);
    else if (credits.length > 0) this.#returnCredits(plan.batch, credits);
  }

  /** Answers every part not answered yet, in one message to the batcher (one send for the whole batch). */
  #sendAll(
    batch: CompleteBatch,
    replies: Buffer[][],
    outcome: string | ((part: PlanPart) => string),
    credits: ReturnedCredit[] = [],
  ): void {
    const answers: Answer[] = [];
    let last = false;
    batch.plan.parts.forEach((part, k) => {
      const settled = this.#settle(batch.plan.batch, part, typeof outcome === 'string' ? outcome : outcome(part));
      if (settled === undefined) return;
      answers.push({ index: part.index, frames: replies[k]!, id: part.id });
      last ||= settled;
    });
    mark('combiner.replied', batch.plan.batch);
    if (answers.length > 0) this.#deliver(batch.plan.batch, answers, last, [], credits);
    else if (credits.length > 0) this.#returnCredits(batch.plan.batch, credits);
  }

  async close(): Promise<void> {
    for (const open of this.#open.values()) clearTimeout(open.timer);
    this.#input.close();
    this.#replies.close();
    this.#direct?.close();
    this.#journal?.close();
    await this.#custom?.close();
  }
}

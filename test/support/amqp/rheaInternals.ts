import type { Socket } from 'node:net';
import { message as amqpMessage, type AmqpError, type Connection, type Delivery, type Sender } from 'rhea';

/*
 * The handful of rhea 3.0.5 internals the broker relies on, kept out of rhea's typings. rhea is
 * pinned; recheck these against its lib/link.js, session.js and connection.js before upgrading.
 */

interface SenderInternals {
  credit: number;
  delivery_count: number;
  _draining: boolean;
  _drained: boolean;
  _get_drain(): boolean;
  local: { attach: { snd_settle_mode?: number; rcv_settle_mode?: number } };
  connection: { _register(): void };
  session: { outgoing: { available(): number } };
}

interface OutgoingDelivery {
  remote_settled: boolean;
}

interface ConnectionInternals {
  socket: Socket;
  /** Without arguments it writes an empty frame: rhea's own heartbeat. */
  _write_frame(): void;
}

interface OutcomeFactory {
  accepted(): { described(): unknown };
  rejected(fields: { error: AmqpError }): { described(): unknown };
}

function internalsOf(sender: Sender): SenderInternals {
  return sender as unknown as SenderInternals;
}

/**
 * How many more transfers the link may take now: credit the client granted that rhea has not yet
 * spent, bounded by free slots in the session's delivery buffer (2048 unless configured).
 */
export function sendCapacityOf(sender: Sender): number {
  const internals = internalsOf(sender);
  return Math.min(internals.credit, internals.session.outgoing.available());
}

/**
 * A receiveAndDelete client asks for pre-settled transfers (snd-settle-mode settled); rhea only
 * pre-settles when its own attach says so, so the broker's attach must echo the client's modes.
 */
export function echoSettleModes(sender: Sender): void {
  const attach = internalsOf(sender).local.attach;
  attach.snd_settle_mode = sender.snd_settle_mode;
  attach.rcv_settle_mode = sender.rcv_settle_mode;
}

/**
 * rhea echoes a drain only while credit remains. When the broker's last transfer used up the
 * credit just as the client asked to drain, the SDK would wait for an echo that never comes and
 * then close the link (200 ms later). This variant echoes the drain with zero credit too.
 */
export function echoDrainsWithoutCredit(sender: Sender): void {
  internalsOf(sender)._get_drain = function (this: SenderInternals): boolean {
    if (!this._draining || !this._drained) return false;
    this.delivery_count += this.credit;
    this.credit = 0;
    return true;
  };
}

/** Answers the client's drain; set_drained alone does not schedule the flow frame. */
export function answerDrain(sender: Sender): void {
  sender.set_drained(true);
  internalsOf(sender).connection._register();
}

const outcomes = amqpMessage as unknown as OutcomeFactory;

/**
 * Settles a delivery the broker sent (Delivery.accept/reject exist only on received deliveries).
 * In rcv-settle-mode second the client settles after us and sends nothing more, but rhea frees a
 * sent delivery only once both ends settled it: left alone, the session's buffer would fill after
 * 2048 deliveries. The flag is set after update() so the disposition frame is still written.
 */
export function settleOutgoing(delivery: Delivery, error?: AmqpError): void {
  delivery.update(true, error ? outcomes.rejected({ error }).described() : outcomes.accepted().described());
  (delivery as unknown as OutgoingDelivery).remote_settled = true;
}

/**
 * The SDK's socket keeps Nagle's algorithm on (rhea-promise attaches links through sessions, and
 * only rhea's connection-level attach turns no-delay on). A small frame it writes while an earlier
 * one awaits its ACK is then held until our kernel's delayed ACK, about 40 ms per link attach.
 * An empty frame (an AMQP heartbeat) written after input that got no reply carries the ACK at once.
 */
export function acknowledgeInputPromptly(connection: Connection): void {
  const internals = connection as unknown as ConnectionInternals;
  const socket = internals.socket;
  socket.on('data', () => {
    const writtenBefore = socket.bytesWritten;
    setImmediate(() => {
      if (!socket.destroyed && connection.is_open() && socket.bytesWritten === writtenBefore) internals._write_frame();
    });
  });
}

"""Huey on Redis that does not lose a task when a consumer dies (``REDIS_URL`` deployments).

Huey's own Redis storage takes a message off the queue with a plain pop: a consumer killed while
running a task (SIGKILL, out of memory, a machine lost) loses that task, and Huey documents that
it gives no at-least-once delivery. ``ReliableRedisHuey`` (settings ``HUEY["huey_class"]``) adds it:

- **Taking a task** moves its message atomically (``BLMOVE``) from the queue to the consumer's own
  *processing* list; the consumer keeps a *heartbeat* key alive (``SET … EX``) from a background
  thread, and lists itself in a set of consumers.
- **Finishing a task** (success, failure, retry scheduled, revoked or expired: whatever Huey did
  with it) removes the message from the processing list. A task interrupted by a stop signal is put
  back at the head of the queue at once.
- **Reaping**: every consumer looks, a few times per heartbeat period, for consumers whose heartbeat
  has expired and moves their processing lists back to the head of the queue (one Lua script per
  dead consumer, so two reapers never re-queue the same message twice). A message re-queued more
  than ``max_redeliveries`` times (a task that kills its consumer every time) goes to a *dead* list
  with an error in the log instead of looping for ever.

So a task runs **at least once**: it can run twice when a consumer dies after the work but before
the acknowledgement, or when a live consumer cannot reach Redis for longer than the heartbeat
period. Tasks must therefore be idempotent or guarded (jobs claim themselves with ``job_start``);
``delivery_count()`` tells a task that it is a re-delivery.

**Periodic tasks** are enqueued by exactly one consumer per minute: each consumer's scheduler
checks the crontabs every minute, and the first to claim the minute in Redis (``SET NX``) enqueues
the due tasks; the others skip that minute. Every consumer can thus run with periodic tasks on.

Keys, all named after the queue (``HUEY["name"]``, e.g. ``sencrm``): ``huey.redis.sencrm`` (the queue,
Huey's), ``huey.processing.sencrm.<consumer>``, ``huey.heartbeat.sencrm.<consumer>``,
``huey.consumers.sencrm``, ``huey.redeliveries.sencrm``, ``huey.dead.sencrm`` and
``huey.periodic.sencrm.<minute>``. docs/SCALING.md says what to watch.
"""

import hashlib
import logging
import os
import secrets
import socket
import threading

from huey import RedisHuey
from huey import signals as huey_signals
from huey.storage import RedisStorage
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("sencrm.queue")

# KEYS: heartbeat, processing list, queue, consumers set, redeliveries hash. ARGV: consumer id.
# Moves a dead consumer's messages back to the head of the queue (the end Huey pops from) and
# counts each re-delivery; does nothing while the heartbeat lives.
REQUEUE_DEAD_LUA = """
if redis.call('exists', KEYS[1]) == 1 then
    return -1
end
local moved = 0
while true do
    local data = redis.call('lmove', KEYS[2], KEYS[3], 'RIGHT', 'RIGHT')
    if not data then break end
    redis.call('hincrby', KEYS[5], redis.sha1hex(data), 1)
    moved = moved + 1
end
redis.call('srem', KEYS[4], ARGV[1])
return moved
"""

# KEYS: processing list, queue. ARGV: message. Puts one message of this consumer back at the head.
RELEASE_LUA = """
if redis.call('lrem', KEYS[1], 1, ARGV[1]) == 1 then
    redis.call('rpush', KEYS[2], ARGV[1])
    return 1
end
return 0
"""


def message_digest(data: bytes) -> str:
    """The key of a message in the re-deliveries hash (Lua's ``redis.sha1hex`` of the same bytes)."""
    return hashlib.sha1(data).hexdigest()  # noqa: S324 - a key, not a security measure


class ReliableRedisStorage(RedisStorage):
    """``RedisStorage`` with per-consumer processing lists, heartbeats, acknowledgements and a reaper."""

    def __init__(self, name="huey", heartbeat_seconds=30, max_redeliveries=5, **kwargs):
        super().__init__(name, **kwargs)
        if heartbeat_seconds < 1:
            raise ValueError("heartbeat_seconds must be at least 1.")
        self.heartbeat_seconds = heartbeat_seconds
        self.max_redeliveries = max_redeliveries
        self.consumers_key = f"huey.consumers.{self.name}"
        self.redeliveries_key = f"huey.redeliveries.{self.name}"
        self.dead_key = f"huey.dead.{self.name}"
        self._requeue_dead = self.conn.register_script(REQUEUE_DEAD_LUA)
        self._release = self.conn.register_script(RELEASE_LUA)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._consumer_pid = None
        self.consumer_id = ""

    # --- keys -------------------------------------------------------------------------------------
    def processing_key(self, consumer_id: str) -> str:
        return f"huey.processing.{self.name}.{consumer_id}"

    def heartbeat_key(self, consumer_id: str) -> str:
        return f"huey.heartbeat.{self.name}.{consumer_id}"

    # --- this consumer ----------------------------------------------------------------------------
    def _ensure_consumer(self) -> str:
        """This process's consumer id; the first call (after a fork too) starts its heartbeat."""
        if self._consumer_pid == os.getpid():
            return self.consumer_id
        with self._lock:
            if self._consumer_pid != os.getpid():
                self.consumer_id = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
                self.beat()  # alive before the first message can reach the processing list
                self._consumer_pid = os.getpid()
                threading.Thread(target=self._beat_forever, name="huey-heartbeat", daemon=True).start()
        return self.consumer_id

    def beat(self) -> None:
        """Renew the heartbeat and (re-)list this consumer, in one transaction."""
        pipe = self.conn.pipeline(transaction=True)
        pipe.set(self.heartbeat_key(self.consumer_id), os.getpid(), ex=self.heartbeat_seconds)
        pipe.sadd(self.consumers_key, self.consumer_id)
        pipe.execute()

    def _beat_forever(self) -> None:
        while not self._stop.wait(self.heartbeat_seconds / 3):
            try:
                self.beat()
                self.requeue_dead()
            except Exception:  # Redis away for a moment: try again at the next beat
                logger.exception("Heartbeat or reaping of the task queue %s failed.", self.name)

    def stop_heartbeat(self) -> None:
        """Stop beating (the consumer's tasks are re-queued by others once the heartbeat expires)."""
        self._stop.set()

    # --- the queue --------------------------------------------------------------------------------
    def dequeue(self):
        consumer = self._ensure_consumer()
        processing = self.processing_key(consumer)
        try:
            if self.blocking:
                data = self.conn.blmove(self.queue_key, processing, self.read_timeout, "RIGHT", "LEFT")
            else:
                data = self.conn.lmove(self.queue_key, processing, "RIGHT", "LEFT")
        except RedisTimeoutError:
            return None
        return data

    def ack(self, data: bytes) -> None:
        """The task of this message is done with (whatever its outcome): forget the message."""
        pipe = self.conn.pipeline(transaction=True)
        pipe.lrem(self.processing_key(self.consumer_id), 1, data)
        pipe.hdel(self.redeliveries_key, message_digest(data))
        pipe.execute()

    def release(self, data: bytes) -> None:
        """Put a message this consumer took, but did not finish, back at the head of the queue."""
        self._release(keys=[self.processing_key(self.consumer_id), self.queue_key], args=[data])

    def bury(self, data: bytes) -> None:
        logger.error(
            "A task of the queue %s was re-delivered more than %s times (its consumers died each time); "
            "moved to %s instead of running it again.",
            self.name,
            self.max_redeliveries,
            self.dead_key,
        )
        pipe = self.conn.pipeline(transaction=True)
        pipe.lrem(self.processing_key(self.consumer_id), 1, data)
        pipe.lpush(self.dead_key, data)
        pipe.hdel(self.redeliveries_key, message_digest(data))
        pipe.execute()

    def redelivery_count(self, data: bytes) -> int:
        return int(self.conn.hget(self.redeliveries_key, message_digest(data)) or 0)

    def requeue_dead(self) -> int:
        """Re-queue the messages of consumers whose heartbeat expired; the number of messages moved."""
        moved = 0
        for member in self.conn.smembers(self.consumers_key):
            consumer = member.decode()
            if consumer == self.consumer_id:
                continue
            keys = [
                self.heartbeat_key(consumer),
                self.processing_key(consumer),
                self.queue_key,
                self.consumers_key,
                self.redeliveries_key,
            ]
            count = self._requeue_dead(keys=keys, args=[consumer])
            if count > 0:
                logger.warning(
                    "Consumer %s of %s stopped beating: %s task(s) re-queued.", consumer, self.name, count
                )
                moved += count
        return moved

    def in_flight(self) -> int:
        """Messages taken by consumers and not yet acknowledged, over all consumers."""
        consumers = [m.decode() for m in self.conn.smembers(self.consumers_key)]
        return sum(self.conn.llen(self.processing_key(c)) for c in consumers)

    def claim_minute(self, minute: str) -> bool:
        """True for the first consumer asking for this minute: it enqueues the periodic tasks."""
        key = f"huey.periodic.{self.name}.{minute}"
        return bool(self.conn.set(key, self.consumer_id or os.getpid(), nx=True, ex=3600))


class ReliableRedisHuey(RedisHuey):
    """``RedisHuey`` that acknowledges each task after running it (see the module docstring)."""

    storage_class = ReliableRedisStorage

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._delivery = threading.local()  # the message a worker took, until execute() is done with it
        self._taken: dict[int, bytes] = {}  # id(task) -> message, for the interrupted-task signal
        self.signal(huey_signals.SIGNAL_INTERRUPTED)(self._release_interrupted)

    def dequeue(self):
        data = self.storage.dequeue()
        if data is None:
            return None
        count = self.storage.redelivery_count(data)
        if count > self.storage.max_redeliveries:
            self.storage.bury(data)
            return None
        try:
            task = self.deserialize_task(data)
        except Exception:
            # Huey drops a message it cannot read (a task this code does not know); so do we.
            self.storage.ack(data)
            raise
        self._delivery.task, self._delivery.count = task, count
        self._taken[id(task)] = data
        return task

    def execute(self, task, timestamp=None):
        if getattr(self._delivery, "task", None) is not task:  # not taken from the queue (immediate mode)
            return super().execute(task, timestamp)
        self._delivery.task = None
        try:
            return super().execute(task, timestamp)
        finally:
            self._delivery.count = 0
            data = self._taken.pop(id(task), None)
            if data is not None:  # None: interrupted and already put back
                self.storage.ack(data)

    def _release_interrupted(self, signal, task, *args, **kwargs):
        data = self._taken.pop(id(task), None)
        if data is not None:
            self.storage.release(data)

    def read_periodic(self, timestamp):
        if timestamp is None:
            timestamp = self._get_timestamp()
        due = super().read_periodic(timestamp)
        if due and not self.storage.claim_minute(timestamp.strftime("%Y%m%d%H%M")):
            return []
        return due

    def delivery_count(self) -> int:
        """In a task: how many times its message was re-queued after a consumer died (0: first run)."""
        return getattr(self._delivery, "count", 0)


def delivery_count() -> int:
    """How many times the running task was re-delivered after its consumer died (0 outside such a queue)."""
    from huey.contrib.djhuey import HUEY

    return HUEY.delivery_count() if isinstance(HUEY, ReliableRedisHuey) else 0

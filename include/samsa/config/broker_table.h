#pragma once
// Every broker key samsad knows: Kafka's name, type and default (Samsa-only keys start with `samsa.`), the values
// it accepts, whether the controller accepts it in AlterConfigs for a BROKER resource, where it is documented, and
// its doc line. Sorted by name (static_assert below). The daemon's properties parser, DescribeConfigs,
// docs/configuration.md and config/server.properties all come from this table.
#include <span>
#include <string_view>

#include "samsa/config/checks.h"
#include "samsa/config/endpoints.h"
#include "samsa/config/key.h"
#include "samsa/config/lookup.h"

namespace samsa::config {
namespace detail {

using t = value_type;
using s = section;
inline constexpr auto ro = update_mode::read_only;
inline constexpr auto dyn = update_mode::dynamic;
inline constexpr auto dyn_only = update_mode::dynamic_only;

constexpr key_def broker(std::string_view name, value_type type, std::string_view default_value, check valid,
                         update_mode mode, section where, std::string_view doc) {
  return {.name = name, .type = type, .default_value = default_value, .valid = valid, .mode = mode,
          .where = where, .doc = doc};
}
// A coarser spelling of `of` (see alias_of in key.h).
constexpr key_def coarse(std::string_view name, std::string_view default_value, check valid, alias_of of,
                         std::string_view doc) {
  return {.name = name, .type = t::int32, .default_value = default_value, .valid = valid, .mode = ro,
          .where = s::log, .alias = of, .doc = doc};
}

inline constexpr check listener_list = matching(check_listeners, "`NAME://host:port`, comma-separated");

inline constexpr key_def broker_table[] = {
    broker("advertised.listeners", t::string, "", listener_list, ro, s::node,
           "Addresses given to clients in Metadata; empty means the same as listeners."),
    broker("auto.create.topics.enable", t::boolean, "true", any(), ro, s::controller,
           "Create missing topics that Metadata requests ask for."),
    broker("auto.leader.rebalance.enable", t::boolean, "true", any(), ro, s::controller,
           "Preferred-leader rebalancing: every `leader.imbalance.check.interval.seconds` the active controller "
           "computes, for each broker, the share of the partitions whose preferred replica (the first in the replica "
           "list) it is but which it does not lead; for a broker above `leader.imbalance.per.broker.percentage` it "
           "runs a preferred leader election on those partitions where it is unfenced and in the ISR (others are "
           "left alone). The first check runs one interval after a controller becomes active. On demand: `samsactl "
           "cluster elect-leaders` (ElectLeaders)."),
    broker("broker.heartbeat.interval.ms", t::int64, "2000", at_least(1), ro, s::controller,
           "How often a broker heartbeats to the active controller."),
    broker("broker.rack", t::string, "", any(), ro, s::node, "Rack of this broker, reported in Metadata."),
    broker("broker.session.timeout.ms", t::int64, "9000", any(), ro, s::controller,
           "A broker without a heartbeat for this long is fenced: it leaves every ISR and loses its partition "
           "leaderships. Must be larger than `broker.heartbeat.interval.ms`."),
    broker("connections.max.idle.ms", t::int64, "600000", any(), ro, s::node,
           "Idle connections are closed after this long."),
    broker("controller.listener.names", t::string, "CONTROLLER", any(), ro, s::controller,
           "Listener names used by the controller quorum; never served to Kafka clients."),
    broker("controller.quorum.election.timeout.ms", t::int32, "1000", at_least(1), ro, s::controller,
           "A voter that hears nothing from the quorum leader this long starts an election (randomised between 1x "
           "and 2x)."),
    broker("controller.quorum.voters", t::list, "", matching(check_voters, "`id@host:port`, comma-separated"), ro,
           s::controller,
           "The quorum's voters as `id@host:port,...` (their controller listeners). Empty: this node is the only "
           "voter (single node; then no controller listener is needed). Must name this node when set."),
    broker("default.replication.factor", t::int16, "1", any(), ro, s::controller,
           "Replication factor of auto-created topics."),
    broker("delete.topic.enable", t::boolean, "true", any(), ro, s::controller, "Allow DeleteTopics."),
    broker("follower.replication.throttled.rate", t::int64, "9223372036854775807", at_least(1), ro, s::replication,
           "Bytes/s a follower fetches, in total, for its out-of-sync replicas named by the topic config "
           "`follower.replication.throttled.replicas`. Static here (Kafka: dynamic only)."),
    broker("group.initial.rebalance.delay.ms", t::int64, "3000", any(), ro, s::group,
           "How long the first rebalance of an empty group waits for more members (extended while more arrive, up "
           "to the rebalance timeout)."),
    broker("group.max.session.timeout.ms", t::int32, "1800000", any(), ro, s::group,
           "Largest session timeout a JoinGroup may ask for (INVALID_SESSION_TIMEOUT above). At least "
           "`group.min.session.timeout.ms`."),
    broker("group.max.size", t::int32, "2147483647", at_least(1), ro, s::group,
           "Most members one group may have (GROUP_MAX_SIZE_REACHED beyond)."),
    broker("group.min.session.timeout.ms", t::int32, "6000", at_least(0), ro, s::group,
           "Smallest session timeout a JoinGroup may ask for (INVALID_SESSION_TIMEOUT below)."),
    broker("leader.imbalance.check.interval.seconds", t::int64, "300", between(1, 100000000), ro, s::controller,
           "How often the active controller checks the leader imbalance."),
    broker("leader.imbalance.per.broker.percentage", t::int32, "10", between(0, 100), ro, s::controller,
           "Share (%) of a broker's preferred partitions it may fail to lead before a preferred election is "
           "triggered for them; the check is Kafka's strict `not led / preferred > percentage / 100`."),
    broker("leader.replication.throttled.rate", t::int64, "9223372036854775807", at_least(1), ro, s::replication,
           "Bytes/s a leader sends, in total, to out-of-sync followers of the replicas named by the topic config "
           "`leader.replication.throttled.replicas` (`*` or `partition:broker,...`). In-sync followers are never "
           "throttled. Static here (Kafka: dynamic only)."),
    broker("listeners", t::string, "PLAINTEXT://127.0.0.1:9092",
           matching(check_listeners, "`NAME://host:port`, comma-separated", /*non_empty=*/true), ro, s::node,
           "Comma-separated `NAME://host:port` listeners. Those named in `controller.listener.names` carry the "
           "metadata quorum (Raft and the node-to-node controller RPCs), the others serve Kafka clients."),
    broker("log.cleaner.threads", t::int32, "1", at_least(1), dyn_only, s::log,
           "Kafka's log-cleaner thread count. The controller accepts and stores it for a BROKER resource; Samsa "
           "does not use it and reads no start-up value."),
    broker("log.dir", t::string, "data", any(), ro, s::log, "Used when log.dirs is not set."),
    broker("log.dirs", t::string, "data", any(), ro, s::log,
           "Directory holding the partition logs (the first of a comma-separated list is used)."),
    broker("log.flush.interval.messages", t::int64, "9223372036854775807", at_least(1), ro, s::log,
           "fsync after this many messages for acks=0/1 (acks=all is always fsynced before it is acknowledged)."),
    broker("log.flush.interval.ms", t::int64, "9223372036854775807", at_least(0), ro, s::log,
           "fsync after this long for acks=0/1 (acks=all is always fsynced before it is acknowledged)."),
    broker("log.index.interval.bytes", t::int32, "4096", at_least(0), ro, s::log,
           "Log bytes between two offset-index entries."),
    broker("log.index.size.max.bytes", t::int32, "10485760", at_least(4), ro, s::log,
           "Largest offset index; a full index rolls the segment."),
    broker("log.message.timestamp.type", t::string, "CreateTime", one_of(timestamp_types), ro, s::log,
           "CreateTime keeps producer timestamps; LogAppendTime stamps them."),
    broker("log.retention.bytes", t::int64, "-1", any(), dyn, s::log,
           "Per-partition size above which old segments are deleted (-1: no limit)."),
    broker("log.retention.check.interval.ms", t::int64, "300000", any(), ro, s::log,
           "How often retention and time-based flushes run."),
    coarse("log.retention.hours", "168", any(), {"log.retention.ms", 3600000},
           "`log.retention.ms` in hours, used when neither `log.retention.ms` nor `log.retention.minutes` is given."),
    coarse("log.retention.minutes", "", any(), {"log.retention.ms", 60000},
           "`log.retention.ms` in minutes, used when `log.retention.ms` is not given."),
    broker("log.retention.ms", t::int64, "604800000", at_least(-1), dyn, s::log,
           "Segments older than this are deleted (-1: never)."),
    coarse("log.roll.hours", "168", at_least(1), {"log.roll.ms", 3600000},
           "`log.roll.ms` in hours, used when `log.roll.ms` is not given."),
    broker("log.roll.ms", t::int64, "604800000", at_least(1), ro, s::log,
           "Segment age at which a new segment is rolled."),
    broker("log.segment.bytes", t::int32, "1073741824", at_least(14), dyn, s::log,
           "Segment size at which a new segment is rolled."),
    broker("log.segment.ms", t::int64, "", at_least(1), dyn_only, s::log,
           "Not a Kafka key (Kafka's roll age is `log.roll.ms`). The controller accepts and stores it for a BROKER "
           "resource; nothing reads it."),
    broker("max.connections", t::int32, "2147483647", any(), ro, s::node, "Connections accepted at once."),
    broker("message.max.bytes", t::int32, "1048588", at_least(0), dyn, s::node,
           "Largest record batch accepted (MESSAGE_TOO_LARGE above)."),
    broker("metadata.log.dir", t::string, "", any(), ro, s::controller,
           "Directory holding the metadata log (`__cluster_metadata-0/` inside it). Empty: the first of "
           "`log.dirs`."),
    broker("min.insync.replicas", t::int32, "1", at_least(1), dyn, s::replication,
           "An `acks=all` produce fails with NOT_ENOUGH_REPLICAS while the partition's ISR is smaller than this "
           "(before the append), and with NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank below it while the "
           "batch was waiting. See docs/replication.md."),
    broker("node.id", t::int32, "1", any(), ro, s::node, "This node's id, reported to clients in Metadata."),
    broker("num.io.threads", t::int32, "8", at_least(1), dyn_only, s::node,
           "Kafka's request-handler thread count. The controller accepts and stores it for a BROKER resource; "
           "Samsa runs request handlers on reactor shard 0 and sizes its shards with `reactor.threads` "
           "(docs/architecture.md) and reads no start-up value."),
    broker("num.partitions", t::int32, "1", at_least(1), ro, s::controller,
           "Partitions of auto-created topics and of CreateTopics with -1 partitions."),
    broker("num.replica.fetchers", t::int32, "1", at_least(1), ro, s::replication,
           "Fetcher connections per source broker; a partition goes to fetcher hash(topic, partition) mod n."),
    broker("offset.metadata.max.bytes", t::int32, "4096", any(), ro, s::group,
           "Largest metadata string of a committed offset (OFFSET_METADATA_TOO_LARGE above)."),
    broker("offsets.commit.timeout.ms", t::int64, "5000", any(), ro, s::group,
           "An offset commit (and group/offset tombstones) waits this long for every in-sync replica of its "
           "`__consumer_offsets` partition; REQUEST_TIMED_OUT after."),
    broker("offsets.load.buffer.size", t::int32, "5242880", at_least(1), ro, s::group,
           "Read size used when loading __consumer_offsets at start-up."),
    broker("offsets.retention.check.interval.ms", t::int64, "600000", any(), ro, s::group,
           "How often expired offsets are looked for."),
    broker("offsets.retention.minutes", t::int32, "10080", at_least(1), ro, s::group,
           "Committed offsets of an empty group (or of a simple-commit group, from the commit) expire after this."),
    broker("offsets.topic.num.partitions", t::int32, "50", at_least(1), ro, s::group,
           "Partitions of __consumer_offsets when it is created (an existing topic keeps its count)."),
    broker("offsets.topic.replication.factor", t::int16, "3", at_least(1), ro, s::group,
           "Replication factor of __consumer_offsets, capped at the number of live (unfenced) brokers when the "
           "topic is created (Kafka refuses to create it with fewer brokers; Samsa creates it smaller, so one node "
           "works)."),
    broker("offsets.topic.segment.bytes", t::int64, "104857600", at_least(1), ro, s::group,
           "Segment size of __consumer_offsets (kept small so compaction can run)."),
    broker("process.roles", t::list, "broker,controller", non_empty_list_of(process_roles), ro, s::node,
           "Roles of this node: `broker,controller` (combined: a voter of the metadata quorum and a broker), "
           "`controller` (a voter only), or `broker` (a broker that follows the committed metadata log from the "
           "quorum leader without voting, like a KRaft observer; needs `controller.quorum.voters`)."),
    broker("queued.max.requests", t::int32, "500", at_least(1), ro, s::node,
           "Requests read from one connection but not yet answered before reading pauses."),
    broker("reactor.threads", t::int32, "0", at_least(0), ro, s::node,
           "Reactor threads (shards), each running its own event loop; 0 = one per CPU core. Connections are spread "
           "over them and do their socket I/O there (request frames in, responses and sendfile out); shard 0 also "
           "owns the partitions, groups and the controller, and runs every request handler "
           "(docs/architecture.md, Threading model)."),
    broker("replica.fetch.backoff.ms", t::int64, "1000", at_least(0), ro, s::replication,
           "A follower waits this long after a failed fetch (connection lost, leader unknown) before retrying."),
    broker("replica.fetch.max.bytes", t::int32, "1048576", at_least(1), ro, s::replication,
           "Bytes a follower fetches per partition per request (the first batch comes whole even when larger)."),
    broker("replica.fetch.min.bytes", t::int32, "1", at_least(0), ro, s::replication,
           "Bytes a follower's fetch waits for at the leader."),
    broker("replica.fetch.response.max.bytes", t::int32, "10485760", at_least(1), ro, s::replication,
           "Bytes a follower fetches per request."),
    broker("replica.fetch.wait.max.ms", t::int32, "500", at_least(0), ro, s::replication,
           "How long a follower's fetch waits at the leader for new data (long poll)."),
    broker("replica.lag.time.max.ms", t::int64, "30000", at_least(1), ro, s::replication,
           "A follower that has not caught up with the leader's log end for this long leaves the ISR (the leader "
           "asks the controller, AlterPartition); it rejoins once caught up again. Checked every half of it and on "
           "every follower fetch."),
    broker("replica.socket.timeout.ms", t::int32, "30000", at_least(1), ro, s::replication,
           "Socket timeout of a follower's requests, on top of `replica.fetch.wait.max.ms`."),
    broker("samsa.log.max.open.segment.files", t::int64, "1024", at_least(0), ro, s::log,
           "Samsa key (Kafka has none): `.log` files of sealed segments kept open across all partitions; beyond it "
           "the least recently used are closed and reopened on demand (the active segment of every partition "
           "always stays open, so the real floor is the partition count). `0`: unbounded."),
    broker("socket.receive.buffer.bytes", t::int32, "-1", at_least(-1), ro, s::node,
           "SO_RCVBUF of the client listeners (set before listen, so the TCP window scale follows) and hence of "
           "their connections; -1 (or 0) leaves the OS's autotuning. Kafka's default is 102400; Samsa's is -1 "
           "because a fixed size turns the kernel's autotuning off."),
    broker("socket.request.max.bytes", t::int32, "104857600", at_least(1), ro, s::node,
           "Largest request frame accepted; larger ones close the connection."),
    broker("socket.send.buffer.bytes", t::int32, "-1", at_least(-1), ro, s::node,
           "SO_SNDBUF of client connections; -1 (or 0) leaves the OS's autotuning (Kafka's default is 102400)."),
    broker("unclean.leader.election.enable", t::boolean, "false", any(), dyn, s::controller,
           "Elect a leader outside the ISR when no in-sync replica is alive (may lose acknowledged data)."),
};

}  // namespace detail

inline constexpr std::span<const key_def> broker_table{detail::broker_table};
static_assert(sorted_unique(broker_table), "broker keys must be sorted by name, each once");

// nullptr for a key that is not a broker key.
inline const key_def* find_broker_key(std::string_view name) noexcept { return find(broker_table, name); }

// A broker key named in code: compile error when it is not declared above.
consteval const key_def& broker_key(std::string_view name) { return declared(broker_table, name); }

}  // namespace samsa::config

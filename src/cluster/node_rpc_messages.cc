#include "node_rpc_messages.h"

namespace samsa::cluster {

api_error error_of(protocol::kafka_errc code) {
  if (code == err::none) return {};
  return {code, "the controller answered error " + std::to_string(protocol::wire_code(code))};
}

protocol::BrokerRegistrationRequest to_message(const broker_registration_request& q) {
  protocol::BrokerRegistrationRequest m;
  m.broker_id = q.id;
  m.incarnation_id = to_wire(q.incarnation_id);
  for (const auto& e : q.endpoints) {
    auto& l = m.listeners.emplace_back();
    l.name = e.listener;
    l.host = e.host;
    l.port = e.port;
    l.security_protocol = e.security_protocol;
  }
  m.rack = q.rack;
  return m;
}

broker_registration_request from_message(const protocol::BrokerRegistrationRequest& m) {
  broker_registration_request q;
  q.id = m.broker_id;
  q.incarnation_id = from_wire(m.incarnation_id);
  for (const auto& l : m.listeners) q.endpoints.push_back({l.name, l.host, l.port, l.security_protocol});
  q.rack = m.rack;
  return q;
}

protocol::BrokerRegistrationResponse to_message(const broker_registration_response& r) {
  protocol::BrokerRegistrationResponse m;
  m.error_code = r.error.code;
  m.broker_epoch = r.broker_epoch;
  return m;
}

protocol::BrokerHeartbeatRequest to_message(const broker_heartbeat_request& q) {
  protocol::BrokerHeartbeatRequest m;
  m.broker_id = q.id;
  m.broker_epoch = q.broker_epoch;
  m.current_metadata_offset = q.current_metadata_offset;
  m.want_fence = q.want_fence;
  m.want_shut_down = q.want_shutdown;
  return m;
}

broker_heartbeat_request from_message(const protocol::BrokerHeartbeatRequest& m) {
  return {m.broker_id, m.broker_epoch, m.current_metadata_offset, m.want_fence, m.want_shut_down};
}

protocol::BrokerHeartbeatResponse to_message(const broker_heartbeat_response& r) {
  protocol::BrokerHeartbeatResponse m;
  m.error_code = r.error.code;
  m.is_caught_up = r.is_caught_up;
  m.is_fenced = r.is_fenced;
  m.should_shut_down = r.should_shutdown;
  return m;
}

protocol::AllocateProducerIdsResponse to_message(const producer_ids_response& r) {
  protocol::AllocateProducerIdsResponse m;
  m.error_code = r.error.code;
  m.producer_id_start = r.first_producer_id;
  m.producer_id_len = static_cast<int32_t>(r.count);
  return m;
}

protocol::AlterPartitionRequest to_message(const alter_partition_request& q) {
  protocol::AlterPartitionRequest m;
  m.broker_id = q.broker;
  m.broker_epoch = q.broker_epoch;
  auto& t = m.topics.emplace_back();
  t.topic_id = to_wire(q.topic_id);
  auto& p = t.partitions.emplace_back();
  p.partition_index = q.partition;
  p.leader_epoch = q.leader_epoch;
  p.new_isr = q.new_isr;
  p.partition_epoch = q.partition_epoch;
  return m;
}

std::optional<alter_partition_request> from_message(const protocol::AlterPartitionRequest& m) {
  if (m.topics.size() != 1 || m.topics.front().partitions.size() != 1) return std::nullopt;
  const auto& t = m.topics.front();
  const auto& p = t.partitions.front();
  alter_partition_request q;
  q.broker = m.broker_id;
  q.broker_epoch = m.broker_epoch;
  q.topic_id = from_wire(t.topic_id);
  q.partition = p.partition_index;
  q.leader_epoch = p.leader_epoch;
  q.partition_epoch = p.partition_epoch;
  q.new_isr = p.new_isr;
  for (const auto& b : p.new_isr_with_epochs) q.new_isr.push_back(b.broker_id);
  return q;
}

protocol::AlterPartitionResponse to_message(const alter_partition_request& q, const alter_partition_response& r) {
  protocol::AlterPartitionResponse m;
  m.error_code = r.error.code;
  auto& t = m.topics.emplace_back();
  t.topic_id = to_wire(q.topic_id);
  auto& p = t.partitions.emplace_back();
  p.partition_index = q.partition;
  p.error_code = r.error.code;
  p.leader_id = r.state.leader;
  p.leader_epoch = r.state.leader_epoch;
  p.isr = r.state.isr;
  p.partition_epoch = r.state.partition_epoch;
  p.replicas = r.state.replicas;
  return m;
}

alter_partition_response from_message(const protocol::AlterPartitionResponse& m) {
  alter_partition_response r;
  if (m.topics.size() != 1 || m.topics.front().partitions.size() != 1) {
    r.error = m.error_code != err::none ? error_of(m.error_code)
                                        : api_error{err::unknown_server_error, "malformed AlterPartition reply"};
    return r;
  }
  const auto& p = m.topics.front().partitions.front();
  r.error = error_of(m.error_code != err::none ? m.error_code : p.error_code);
  r.state.replicas = p.replicas;
  r.state.isr = p.isr;
  r.state.leader = p.leader_id;
  r.state.leader_epoch = p.leader_epoch;
  r.state.partition_epoch = p.partition_epoch;
  return r;
}

}  // namespace samsa::cluster

// The forum role's context: the forum store (everything pseudonymous), the
// issuer's public key directory (a directory_source: never the issuer store),
// live channels and the pseudonyms online. Forum op handlers get a
// call<forum_service>; no employer identity is reachable from here.
#pragma once

#include "crypto/bytes.hpp"
#include "server/connection.hpp"
#include "server/directory_source.hpp"
#include "server/runtime.hpp"
#include "server/session_index.hpp"
#include "storage/polls.hpp"
#include "storage/notices.hpp"
#include "storage/stores.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

namespace hearth::server {

class forum_service {
 public:
  forum_service(runtime& rt, storage::forum_store& store, storage::staff_store& staff, directory_source& directory);

  runtime& rt() noexcept { return rt_; }
  config const& cfg() const noexcept { return rt_.cfg(); }
  storage::forum_store& store() noexcept { return store_; }
  storage::staff_store& staff() noexcept { return staff_; }
  storage::poll_store& polls() noexcept { return *polls_; }
  storage::notice_store& notices() noexcept { return *notices_; }
  storage::appeal_store& appeals() noexcept { return *appeals_; }
  directory_source& keys() noexcept { return directory_; }
  std::shared_ptr<directory_snapshot const> directory() const { return directory_.current(); }
  // The issuer name signed strings carry (PROTOCOL.md §3), from the directory.
  std::string issuer_name() const { return directory()->issuer; }

  // A directory change seen by the forum: appended to the public moderation
  // log (rotations and revocations are public).
  void directory_changed(directory_change const& change);

  // Live channels.
  void subscribe(std::string const& channel, std::shared_ptr<connection> const& c);
  void unsubscribe(std::string const& channel, connection const* c);
  // Queues frame to the channel's subscribers once every change made so far
  // is durable.
  void publish(std::string const& channel, std::shared_ptr<std::string const> frame);
  // Whether anyone is subscribed to the channel now (to skip building a frame
  // nobody would receive).
  bool has_subscribers(std::string const& channel);
  // Drops a closed connection's subscriptions (its own channel list).
  void connection_gone(connection const* c, std::set<std::string> const& channels);

  // Logged-in pseudonyms, to close their connections on a ban.
  void pseudonym_online(crypto::bytes const& pk, std::shared_ptr<connection> const& c);
  void pseudonym_offline(crypto::bytes const& pk, connection const* c);
  void close_pseudonym(crypto::bytes const& pk, std::string const& reason);
  // Queues frame to every connection logged in as the pseudonym, once every
  // change made so far is durable (its notifications).
  void push_to_pseudonym(crypto::bytes const& pk, std::shared_ptr<std::string const> frame);

  // Per-pseudonym post rate across its connections.
  bool take_post_slot(crypto::bytes const& pk);

 private:
  void publish_now(std::string const& channel, std::shared_ptr<std::string const> const& frame);
  runtime& rt_;
  storage::forum_store& store_;
  storage::staff_store& staff_;
  directory_source& directory_;
  std::unique_ptr<storage::poll_store> polls_;  // over store_
  std::unique_ptr<storage::notice_store> notices_;  // over store_
  std::unique_ptr<storage::appeal_store> appeals_;  // over store_

  std::mutex subs_mu_;
  std::map<std::string, std::map<connection const*, std::weak_ptr<connection>>> subs_;
  session_index online_;  // keyed by the pseudonym's pk bytes
  std::mutex limits_mu_;
  std::map<crypto::bytes, rate_bucket> post_buckets_;
};

}  // namespace hearth::server

// The Boost.Asio translation unit for executables that use samsa_raft_driver without samsa_server (whose
// src/server/asio_impl.cc plays this role). Link exactly one of the two into an executable.
#include <boost/asio/impl/src.hpp>

// The one Boost.Asio translation unit of the tree (BOOST_ASIO_SEPARATE_COMPILATION), library samsa_asio.
#include <boost/asio/impl/src.hpp>

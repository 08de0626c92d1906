// The single translation unit that compiles Boost.Asio (BOOST_ASIO_SEPARATE_COMPILATION keeps every other
// file from instantiating it again).
#include <boost/asio/impl/src.hpp>

/* Messages and names for the PROTO_E_* codes of proto_err.h. */
#include "proto_err.h"

const char *proto_strerror(int err)
{
	switch (err) {
	case PROTO_OK:
		return "success";
#define PROTO_ERR_MSG_(name, msg)                                              \
	case PROTO_E_##name:                                                   \
		return msg;
		PROTO_ERR_MAP(PROTO_ERR_MSG_)
#undef PROTO_ERR_MSG_
	default:
		return "unknown error";
	}
}

const char *proto_errname(int err)
{
	switch (err) {
	case PROTO_OK:
		return "OK";
#define PROTO_ERR_NAME_(name, msg)                                             \
	case PROTO_E_##name:                                                   \
		return #name;
		PROTO_ERR_MAP(PROTO_ERR_NAME_)
#undef PROTO_ERR_NAME_
	default:
		return "UNKNOWN";
	}
}

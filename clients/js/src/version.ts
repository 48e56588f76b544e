/** The wire protocol this client speaks (PROTOCOL.md, "v1"). */
export const protocolVersion = 1;
/** This package's version (kept equal to package.json by a test). */
export const version = "0.1.0";

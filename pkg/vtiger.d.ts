// Type declarations of crmwire/vtiger: crmwire's Vtiger API (the declarations of index.d.ts, without
// the Perfex client). Every name index.d.ts declares is listed here (tests/js/tools/pack-smoke.mjs checks).
export { CrmError, isCrmError, ready, isReady, initSync, version, md5Hex, vtqlLiteral, Query, select, toVtql, VtigerClient } from './index.js';
export type {
  CrmErrorCode,
  VtqlOp, VtqlValue, VtqlTerm, VtqlWhere, QuerySpec, QueryInput,
  VtigerRecord, FieldValue, RecordFields,
  VtigerDirectOptions, VtigerProxyOptions, VtigerClientOptions, CallOptions,
  LoginInfo, TypeList, FieldDescription, ModuleDescription,
  SyncStrategy, SyncBatch, SyncOptions, ServerInfo,
  FileInput, WriteOptions, VtigerFile, LogoutResult,
  BulkOptions, BulkProgress, BulkResult, UpsertOptions, UpsertResult,
} from './index.js';

export type AppEnv = {
  Bindings: Env;
  Variables: { userId: string; email: string; requestId: string };
};

import type { HavenAbility } from '../../engine/index.js';

/** The signed-in user behind a request, with the one ability that decides everything they may do. */
export interface Principal {
  readonly userId: string;
  readonly username: string;
  readonly fullName: string;
  readonly agencyId: string | null;
  readonly agencyCode: string | null;
  readonly groupIds: readonly string[];
  readonly groupCodes: readonly string[];
  readonly roles: readonly string[];
  readonly locale: string;
  readonly sessionId: string;
  readonly mustChangePassword: boolean;
  readonly ability: HavenAbility;
}

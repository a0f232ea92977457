import { UserEntity } from '../users/user.entity.js';

/** Every TypeORM entity. Entities are for the admin-side CRUD; hot paths use SQL in their repositories. */
export const entities = [UserEntity];

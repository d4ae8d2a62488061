/** Who is calling. Every use case takes one, so authorization never changes a signature. */
export interface Principal {
  id: string;
  name: string;
  email: string;
  admin: boolean;
}

/** The single user of the embedded default, where authentication is off. */
export const LOCAL_PRINCIPAL: Principal = Object.freeze({
  id: 'local',
  name: 'local user',
  email: '',
  admin: true,
});

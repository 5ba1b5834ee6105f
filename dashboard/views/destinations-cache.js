// The merchant's destinations (id -> destination), read once per view for labels and filters.
// A server without the destinations API answers 404: the views then show ids only.
import { api, NOTIFICATIONS } from '../api.js';

export async function loadDestinations() {
  const byId = new Map();
  try {
    for (let offset = 0; offset < 1000; offset += 100) {
      const page = await api('GET', NOTIFICATIONS + '/destinations', { query: { limit: 100, offset } });
      for (const destination of page.data) byId.set(destination.id, destination);
      if (page.data.length < 100) break;
    }
  } catch {
    // Labels only: the view still works with ids.
  }
  return byId;
}

import type { ApiVersion } from '../errors';
import type { HttpMethod, RouteDefinition } from './types';
import { fileRoutes } from './v1/files';
import { noteRoutes } from './v1/notes';
import { organizationRelationshipRoutes } from './v1/org-relationships';
import { activityTypeRoutes, userRoutes } from './v1/users';
import { activityRoutes } from './v2/activities';
import { dealProductRoutes } from './v2/deal-products';
import { dealRoutes } from './v2/deals';
import { fieldRoutes } from './v2/fields';
import { organizationRoutes } from './v2/organizations';
import { personRoutes } from './v2/persons';
import { pipelineRoutes } from './v2/pipelines';
import { productRoutes } from './v2/products';
import { searchRoutes } from './v2/search';

/** Every Pipedrive route the sandbox serves. The contract test walks this table. */
export function sandboxRoutes(): RouteDefinition[] {
  return [
    ...personRoutes(),
    ...organizationRoutes(),
    ...dealRoutes(),
    ...dealProductRoutes(),
    ...activityRoutes(),
    ...productRoutes(),
    ...pipelineRoutes(),
    ...fieldRoutes(),
    ...searchRoutes(),
    ...userRoutes(),
    ...activityTypeRoutes(),
    ...noteRoutes(),
    ...fileRoutes(),
    ...organizationRelationshipRoutes(),
  ];
}

export interface RouteMatch {
  route: RouteDefinition;
  pathParams: Record<string, string>;
}

interface CompiledRoute {
  route: RouteDefinition;
  pattern: RegExp;
  names: string[];
  literalSegments: number;
}

/** Matches request paths to routes; literal segments win over templated ones (`/deals/search` over `/deals/{id}`). */
export class RouteTable {
  private readonly compiled: CompiledRoute[];

  constructor(readonly routes: RouteDefinition[]) {
    this.compiled = routes
      .map((route) => {
        const names: string[] = [];
        const segments = route.path.split('/').filter(Boolean);
        const pattern = new RegExp(
          '^/' +
            segments
              .map((s) => {
                const m = /^\{(.+)\}$/.exec(s);
                if (!m) return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
                names.push(m[1]!);
                return '([^/]+)';
              })
              .join('/') +
            '/?$',
        );
        return { route, pattern, names, literalSegments: segments.filter((s) => !s.startsWith('{')).length };
      })
      .sort((a, b) => b.literalSegments - a.literalSegments);
  }

  match(api: ApiVersion, method: string, path: string): RouteMatch | undefined {
    for (const c of this.compiled) {
      if (c.route.api !== api || c.route.method !== (method.toUpperCase() as HttpMethod)) continue;
      const m = c.pattern.exec(path);
      if (!m) continue;
      const pathParams: Record<string, string> = {};
      c.names.forEach((name, i) => (pathParams[name] = decodeURIComponent(m[i + 1]!)));
      return { route: c.route, pathParams };
    }
    return undefined;
  }
}

import { Module } from '@nestjs/common';
import { PlatformModule } from '@kielto/platform';
import { BansModule } from './bans/bans.module';
import { DirectoryBansEnv } from './directory-bans.env';
import { DirectoryModule } from './directory/directory.module';
import { ListingModule } from './listing/listing.module';

@Module({
  imports: [
    PlatformModule.forService({ service: { name: 'directory-bans', defaultPort: 3003 }, env: DirectoryBansEnv }),
    BansModule,
    ListingModule,
    DirectoryModule,
  ],
})
export class AppModule {}
